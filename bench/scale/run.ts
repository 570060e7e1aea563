/**
 * `npm run scale [-- --replicas 3 --customers 40 --think-ms 25 --throughput-seconds 20 --gateway-counts 3,2,1]`:
 * issue 17's proof on one machine. Builds the services, then
 * 1. the scenario: every service as `--replicas` processes behind HAProxy, a mixed load, the
 *    faults (kills, rolling updates, a signing-key rotation), the invariants; exits 1 if one
 *    breaks;
 * 2. throughput with 1, 2 … `--replicas` gateway replicas (skipped with --throughput-seconds 0).
 * Needs REDIS_URL and NATS_URL (defaults: the local servers) and HAProxy (/usr/sbin/haproxy);
 * databases go on TEST_DATABASE_URL's server, else a throw-away embedded PostgreSQL.
 * Results: bench/results/scale.json; logs of every replica in the printed directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startEmbeddedPostgres, type RunningEmbeddedPostgres } from '@fedshop/shared/database/embedded-postgres';
import { freePort, TEST_SERVER_URL_VARIABLE } from '@fedshop/shared/testing';
import { formatScenarioReport } from './scale-report';
import { runScaleScenario } from './scale-scenario';
import { measureThroughput } from './throughput';

const REPO_ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '3' },
      customers: { type: 'string', default: '40' },
      'think-ms': { type: 'string', default: '25' },
      'throughput-seconds': { type: 'string', default: '20' },
      'throughput-customers': { type: 'string', default: '48' },
      'skip-scenario': { type: 'boolean', default: false },
      /** Gateway replica counts to measure, in order (default 1 to --replicas). */
      'gateway-counts': { type: 'string' },
    },
  });
  const replicas = Number(values.replicas);
  const customers = Number(values.customers);
  const thinkMs = Number(values['think-ms']);
  const throughputSeconds = Number(values['throughput-seconds']);
  if (!(replicas >= 2 && replicas <= 6) || !(customers > 0) || !(thinkMs >= 0) || !(throughputSeconds >= 0)) {
    throw new Error('--replicas must be 2 to 6; --customers positive; --think-ms and --throughput-seconds 0 or more');
  }
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-scale-'));
  console.log(`scale: logs and HAProxy configuration in ${dir}`);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });

  let cluster: RunningEmbeddedPostgres | undefined;
  if (process.env.TEST_DATABASE_URL) {
    process.env[TEST_SERVER_URL_VARIABLE] = process.env.TEST_DATABASE_URL;
  } else {
    cluster = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), logger: pino({ level: 'silent' }) });
    process.env[TEST_SERVER_URL_VARIABLE] = cluster.urlFor('postgres');
  }
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const results: Record<string, unknown> = { at: new Date().toISOString(), cores: os.cpus().length, loadAverageAtStart: os.loadavg() };
  try {
    if (!values['skip-scenario']) {
      const report = await runScaleScenario({
        replicas: { gateway: replicas, users: replicas, orders: replicas },
        customers,
        thinkMs,
        hotStock: Math.max(20, customers * 2),
        faultGapMs: 3_000,
        tailMs: 5_000,
        dir: path.join(dir, 'scenario'),
        redisUrl,
        natsUrl,
        authPerMinute: 10,
        log,
      });
      console.log(formatScenarioReport(report));
      const failed = report.checks.filter((check) => !check.ok);
      console.log(failed.length === 0 ? 'scale: every check holds' : `scale: ${failed.length} check(s) broken`);
      process.exitCode = failed.length === 0 ? 0 : 1;
      results.scenario = {
        replicas,
        customers,
        durationMs: report.durationMs,
        checks: report.checks,
        events: report.events,
        operations: Object.fromEntries(
          Object.entries(report.load.operations).map(([name, { latenciesMs: _latencies, ...stats }]) => [name, stats]),
        ),
      };
    }
    if (throughputSeconds > 0) {
      results.throughput = await measureThroughput({
        gatewayCounts: values['gateway-counts']
          ? values['gateway-counts'].split(',').map(Number)
          : Array.from({ length: replicas }, (_, i) => i + 1),
        customers: Number(values['throughput-customers']),
        warmUpMs: 5_000,
        measureMs: throughputSeconds * 1000,
        dir: path.join(dir, 'throughput'),
        redisUrl,
        natsUrl,
        log,
      });
    }
  } finally {
    await cluster?.stop();
    results.loadAverageAtEnd = os.loadavg();
    mkdirSync(path.join(REPO_ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(REPO_ROOT, 'bench/results/scale.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
