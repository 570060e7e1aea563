import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { cpuTimeMs, machineCpuMs } from '../process-stats';
import { deleteRunStream } from './scale-checks';
import { percentiles, ShopLoad } from './scale-load';
import { HOT_PRODUCTS, NORMAL_PRODUCTS, deleteRedisKeys } from './scale-scenario';
import { startScalePlatform, type ScalePlatform } from './scale-platform';

/** Where CPU went during a measured window, ms, by component. */
export type CpuByComponent = Record<string, number>;

export interface ThroughputPoint {
  gateways: number;
  /** Client calls answered per second (GraphQL requests through HAProxy; a retry is part of its call). */
  operationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Calls that ended in an unexpected error or were given up after 20 s of retryable ones (should be 0). */
  failures: number;
  /** Those calls, by operation and reason. */
  failureReasons: Record<string, number>;
  windowMs: number;
  /** CPU ms per answered call, by component (gateway, users, orders = all their replicas; postgres = their backends). */
  cpuPerCallMs: CpuByComponent;
  /** Share of the machine's cores each component kept busy, %. */
  coreShare: CpuByComponent;
  /** Everything busy on the machine, and the part other processes (other sessions) took, % of all cores. */
  machineBusyPercent: number;
  othersPercent: number;
}

export interface ThroughputOptions {
  gatewayCounts: number[];
  customers: number;
  warmUpMs: number;
  measureMs: number;
  dir: string;
  redisUrl: string;
  natsUrl: string;
  log?: (line: string) => void;
}

/** Process ids of a shared server (redis-server, nats-server) by command name. */
function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function backendPids(platform: ScalePlatform): Promise<Record<string, number[]>> {
  const pool = new pg.Pool({ connectionString: platform.usersDatabase.url, max: 1 });
  try {
    const { rows } = await pool.query<{ pid: number; datname: string }>(
      'SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1)',
      [[platform.usersDatabase.name, platform.ordersDatabase.name]],
    );
    return {
      'postgres (users db)': rows.filter((row) => row.datname === platform.usersDatabase.name).map((row) => row.pid),
      'postgres (orders db)': rows.filter((row) => row.datname === platform.ordersDatabase.name).map((row) => row.pid),
    };
  } finally {
    await pool.end();
  }
}

/** CPU ms used so far by each component's processes. */
async function cpuSnapshot(platform: ScalePlatform): Promise<CpuByComponent> {
  const groups: Record<string, number[]> = {
    gateway: platform.sets.gateway.replicas.flatMap((replica) => (replica.pid ? [replica.pid] : [])),
    users: platform.sets.users.replicas.flatMap((replica) => (replica.pid ? [replica.pid] : [])),
    orders: platform.sets.orders.replicas.flatMap((replica) => (replica.pid ? [replica.pid] : [])),
    haproxy: [platform.haproxy.pid],
    ...(await backendPids(platform)),
    'redis (shared)': pidsNamed('redis-server'),
    'nats (shared)': pidsNamed('nats-server'),
  };
  const snapshot: CpuByComponent = Object.fromEntries(
    Object.entries(groups).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + (cpuTimeMs(pid) ?? 0), 0)]),
  );
  const own = process.cpuUsage();
  snapshot['load generator'] = (own.user + own.system) / 1000;
  return snapshot;
}

/**
 * Throughput with 1, 2, 3… gateway replicas behind HAProxy (the others held in maintenance),
 * two replicas of each subgraph, the same customers running the shop's mix as fast as answers
 * come; CPU per call of every component over the measured window.
 */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputPoint[]> {
  const log = options.log ?? (() => undefined);
  const maxGateways = Math.max(...options.gatewayCounts);
  const platform = await startScalePlatform({
    replicas: { gateway: maxGateways, users: 2, orders: 2 },
    dir: options.dir,
    redisUrl: options.redisUrl,
    natsUrl: options.natsUrl,
    // Budgets out of the way: the customers run flat out from few addresses.
    rateLimits: { anonymous: 1_000_000, user: 1_000_000, auth: 1_000 },
  });
  const run = randomBytes(3).toString('hex');
  const load = new ShopLoad({
    gatewayUrl: platform.gatewayUrl,
    customers: options.customers,
    durationMs: options.warmUpMs + options.measureMs,
    warmUpMs: options.warmUpMs,
    thinkMs: 0,
    shipEveryMs: 200,
    admin: platform.admin,
    products: { normal: NORMAL_PRODUCTS, hot: HOT_PRODUCTS },
    run,
    startedAt: platform.startedAt,
  });
  const points: ThroughputPoint[] = [];
  try {
    await load.stockCatalog({ normal: 100_000_000, hot: 100_000_000 });
    await load.signUpCustomers();
    for (const count of options.gatewayCounts) {
      for (const [index, slot] of platform.sets.gateway.slots.entries()) {
        if (slot.spare) continue;
        await platform.haproxy.setState('gateway', slot.name, index < count ? 'ready' : 'maint');
        if (index < count) await platform.haproxy.waitFor('gateway', slot.name, 'UP');
      }
      const answered = () => Object.values(load.report.operations).reduce((sum, stats) => sum + stats.latenciesMs.length, 0);
      const failed = () =>
        Object.values(load.report.operations).reduce(
          (sum, stats) => sum + Object.values(stats.unexpected).reduce((a, b) => a + b, 0) + stats.gaveUp,
          0,
        );
      const latencyMarks = Object.fromEntries(
        Object.entries(load.report.operations).map(([name, stats]) => [name, stats.latenciesMs.length]),
      );
      const failedBefore = failed();
      const reasons = () =>
        Object.fromEntries(
          Object.entries(load.report.operations).flatMap(([name, stats]) => [
            ...Object.entries(stats.unexpected).map(([reason, n]) => [`${name}: ${reason}`, n] as const),
            ...(stats.gaveUp ? [[`${name}: gave up`, stats.gaveUp] as const] : []),
          ]),
        );
      const reasonsBefore = reasons();
      let start: { cpu: CpuByComponent; machine: ReturnType<typeof machineCpuMs>; at: number; answered: number } | undefined;
      const sampler = setTimeout(async () => {
        start = { cpu: await cpuSnapshot(platform), machine: machineCpuMs(), at: Date.now(), answered: answered() };
      }, options.warmUpMs);
      await load.run();
      clearTimeout(sampler);
      const end = { cpu: await cpuSnapshot(platform), machine: machineCpuMs(), at: Date.now(), answered: answered() };
      if (!start) throw new Error('the measured window never started');
      const windowMs = end.at - start.at;
      const calls = end.answered - start.answered;
      const cores = (await import('node:os')).cpus().length;
      const cpuPerCallMs = Object.fromEntries(
        Object.keys(end.cpu).map((name) => [name, (end.cpu[name]! - (start!.cpu[name] ?? 0)) / calls]),
      );
      const coreShare = Object.fromEntries(
        Object.keys(end.cpu).map((name) => [name, ((end.cpu[name]! - (start!.cpu[name] ?? 0)) / (windowMs * cores)) * 100]),
      );
      const busy = end.machine && start.machine ? end.machine.busyMs - start.machine.busyMs : 0;
      const ours = Object.values(end.cpu).reduce((a, b) => a + b, 0) - Object.values(start.cpu).reduce((a, b) => a + b, 0);
      const latencies = Object.entries(load.report.operations).flatMap(([name, stats]) => stats.latenciesMs.slice(latencyMarks[name]));
      const { p50, p99 } = percentiles(latencies);
      const point: ThroughputPoint = {
        gateways: count,
        operationsPerSecond: (calls * 1000) / windowMs,
        p50Ms: p50,
        p99Ms: p99,
        failures: failed() - failedBefore,
        failureReasons: Object.fromEntries(
          Object.entries(reasons())
            .map(([reason, n]) => [reason, n - (reasonsBefore[reason] ?? 0)] as const)
            .filter(([, n]) => n > 0),
        ),
        windowMs,
        cpuPerCallMs,
        coreShare,
        machineBusyPercent: (busy / (windowMs * cores)) * 100,
        othersPercent: (Math.max(0, busy - ours) / (windowMs * cores)) * 100,
      };
      points.push(point);
      log(formatPoint(point));
    }
    return points;
  } finally {
    await load.close();
    await platform.stop();
    await deleteRunStream(options.natsUrl, platform.natsNamespace).catch(() => undefined);
    await deleteRedisKeys(options.redisUrl, platform.redisPrefix).catch(() => undefined);
  }
}

export function formatPoint(point: ThroughputPoint): string {
  const parts = Object.entries(point.cpuPerCallMs)
    .filter(([, ms]) => ms > 0.005)
    .map(([name, ms]) => `${name} ${ms.toFixed(2)} ms (${point.coreShare[name]!.toFixed(0)} %)`);
  return (
    `${point.gateways} gateway replica(s): ${point.operationsPerSecond.toFixed(0)} calls/s, p50 ${point.p50Ms} ms, p99 ${point.p99Ms} ms, ` +
    `failures ${point.failures}${point.failures ? ` ${JSON.stringify(point.failureReasons)}` : ''}; ` +
    `machine busy ${point.machineBusyPercent.toFixed(0)} % (others ${point.othersPercent.toFixed(0)} %); CPU per call (share of all cores): ${parts.join(', ')}`
  );
}
