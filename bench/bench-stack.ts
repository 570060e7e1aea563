import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres, type RunningEmbeddedPostgres } from '@fedshop/shared/database/embedded-postgres';
import { createTestDatabase, freePort, TEST_SERVER_URL_VARIABLE, type TestDatabase } from '@fedshop/shared/testing';
import { ISSUE_VOLUME, migrateSubgraphDatabases, seedDatabases, type SeedSummary, type SeedVolume } from './seed-databases';
import { createMemoryCgroup, type MemoryCgroup } from './memory-cgroup';
import { startOtlpSink, type OtlpSink } from './otlp-sink';
import { answersOk, startServiceProcess, type ServiceProcess } from './service-process';

export type GatewayId =
  | 'ours'
  | 'ours-cache'
  | 'ours-cache-replica'
  | 'ours-linelog'
  | 'ours-alltraces'
  | 'ours-lean'
  | 'ours-nodedup'
  | 'ours-nosubdedup'
  | 'ours-sourcemaps'
  | 'apollo'
  | 'hive'
  | 'hive-nodedup';

/** The gateways the benchmark can run, in report order; those `byDefault` run unless --gateway says otherwise. */
export const GATEWAYS: { id: GatewayId; label: string; byDefault: boolean }[] = [
  // Ours as the production overrides run it: traces of one request in ten exported (PRODUCTION_TRACE_SAMPLING).
  { id: 'ours', label: 'ours (fedshop gateway)', byDefault: true },
  // Ours with its response cache on (in memory): what the cache is worth, against ours without it.
  { id: 'ours-cache', label: 'ours, response cache on', byDefault: true },
  // A second replica of ours-cache (its own memory cache), for the cross-replica purge measurement (bench/purge-latency.ts).
  { id: 'ours-cache-replica', label: 'ours, response cache on, second replica', byDefault: false },
  // Ours writing its log lines one by one as before issue 18 (LOG_BATCH_BYTES=0): what batching saves.
  { id: 'ours-linelog', label: 'ours, log lines unbatched', byDefault: false },
  // Ours recording and exporting a trace of every request (the services' default sampler).
  { id: 'ours-alltraces', label: 'ours, every request traced', byDefault: false },
  // Ours with rate limits off, no trace export and no per-request log lines: what those cost (auth stays on).
  { id: 'ours-lean', label: 'ours, limits/traces/request logs off', byDefault: false },
  // Ours without sharing identical in-flight subgraph queries: like for like with the bare Apollo Gateway.
  { id: 'ours-nodedup', label: 'ours, no in-flight dedup', byDefault: false },
  // Ours with one upstream subscription per client subscription (SUBSCRIPTION_DEDUPLICATION=false): what sharing is worth.
  { id: 'ours-nosubdedup', label: 'ours, no subscription dedup', byDefault: false },
  // Ours with Node's source maps on (stack traces name TypeScript files and lines): what that costs.
  { id: 'ours-sourcemaps', label: 'ours, source maps on', byDefault: false },
  { id: 'apollo', label: 'bare Apollo Gateway', byDefault: true },
  { id: 'hive', label: 'Hive Gateway', byDefault: true },
  // Hive without sharing identical in-flight subgraph queries: shows what that one default is worth.
  { id: 'hive-nodedup', label: 'Hive Gateway, no in-flight dedup', byDefault: false },
];

/** With --profile, the gateway run under --cpu-prof: the first of ours in the run (ours, else a variant of it). */
export function profiledGatewayId(gateways: readonly GatewayId[]): GatewayId | undefined {
  return gateways.find((id) => id.startsWith('ours'));
}

/**
 * The trace sampling of docker-compose.prod.yml: a trace of one request in ten, the rest still
 * carrying trace ids into logs and downstream. What a production gateway pays for tracing.
 */
const PRODUCTION_TRACE_SAMPLING = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } as const;

export interface RunningGateway {
  id: GatewayId;
  label: string;
  url: string;
  process: ServiceProcess;
}

interface RunningSubgraph {
  url: string;
  process: ServiceProcess;
}

export interface BenchStackOptions {
  gateways: GatewayId[];
  /** Logs, the users service's data dir and (embedded) the PostgreSQL cluster go here. */
  workDir: string;
  /** Sign-in accounts to take tokens for (at most the volume's `signInAccounts`). */
  accounts: number;
  volume?: SeedVolume;
  /** When set, our gateway and both subgraphs run with --cpu-prof and write their profiles to `<dir>/<gateway|users|orders>` on exit. */
  cpuProfileDir?: string;
  /** A PostgreSQL server to create the two databases on (admin rights); default an embedded one. */
  databaseServerUrl?: string;
  /** Each service process in a memory cgroup of its own with this limit, MiB (the manifests' 512); default none. */
  memoryLimitMiB?: number;
  /** NATS with JetStream: the orders service publishes its outbox there and our gateways follow its events; default none. */
  natsUrl?: string;
  /** The orders service's outbox poll interval, ms (its default 250). */
  outboxPollMs?: number;
  log: (line: string) => void;
}

export interface BenchStack {
  seed: SeedSummary;
  /** Seconds each start-up step took. */
  timings: Record<string, number>;
  users: RunningSubgraph;
  orders: RunningSubgraph;
  gateways: RunningGateway[];
  adminToken: string;
  customerTokens: string[];
  /** Where our gateway exports its traces. */
  otlpSink: OtlpSink;
  /** Pids of the service processes by name (gateways by id). */
  pids(): Record<string, number>;
  /** With a memory limit: the most each process's cgroup ever held (MiB) and how often it hit the limit, by name. */
  memoryCgroups(): Record<string, { peakMiB: number; limitHits: number }>;
  stop(): Promise<void>;
}

/** Well above what two cores can serve: the limiter's cost is measured, never a refusal. */
const UNREACHABLE_PER_MINUTE = '1000000000';
const PASSWORD = 'bench-password';

const graphqlReady = (url: string) => () =>
  answersOk(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });

/**
 * Brings up what the benchmark measures: one PostgreSQL (embedded unless a server is given)
 * with the users and orders databases migrated and seeded; the two subgraphs as their own
 * processes, as `npm start` runs them but in production mode; tokens for the admin and the
 * sign-in accounts; and each gateway as its own process on the same subgraphs and the
 * committed supergraph, ours exporting traces to a local OTLP sink. Everything listens on
 * 127.0.0.1.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const volume = options.volume ?? ISSUE_VOLUME;
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    timings[step] = Math.round((Date.now() - started) / 100) / 10;
    options.log(`${step}: ${timings[step]} s`);
    return result;
  };
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  // What was still starting when something failed: waited for, so that stopping the stack stops it too.
  const starting: Promise<unknown>[] = [];
  try {
    mkdirSync(options.workDir, { recursive: true });
    let cluster: RunningEmbeddedPostgres | undefined;
    const [usersDb, ordersDb] = await timed('postgres', async () => {
      if (options.databaseServerUrl) {
        process.env[TEST_SERVER_URL_VARIABLE] = options.databaseServerUrl;
      } else {
        cluster = await startEmbeddedPostgres({
          dataDir: path.join(options.workDir, 'pg'),
          port: await freePort(),
          logger: pino({ level: 'silent' }),
          // Durability is not what is compared: commits do not wait for the disk (BENCHMARKS.md).
          extraFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        });
        cleanups.push(() => cluster!.stop());
        process.env[TEST_SERVER_URL_VARIABLE] = cluster.urlFor('postgres');
      }
      const databases: TestDatabase[] = await Promise.all([createTestDatabase('bench_users'), createTestDatabase('bench_orders')]);
      for (const database of databases) cleanups.push(() => database.drop());
      return databases as [TestDatabase, TestDatabase];
    });
    await timed('migrations', () => migrateSubgraphDatabases({ usersUrl: usersDb.url, ordersUrl: ordersDb.url }));
    // Seeding, the subgraphs and the gateways start together: none needs another to start (our
    // gateway's readiness waits for the subgraphs), and the start-up is most of a quick run.
    // Each is awaited further down; a failure meanwhile is not unhandled, and stops the stack there.
    const later = <T>(promise: Promise<T>): Promise<T> => {
      promise.catch(() => undefined);
      starting.push(promise);
      return promise;
    };
    const seeding = later(
      timed('seed', () => seedDatabases({ usersUrl: usersDb.url, ordersUrl: ordersDb.url, volume, password: PASSWORD })),
    );
    // Each process is stopped with the stack as soon as it is up, whatever else fails meanwhile.
    const stoppedWithStack = async (spawning: Promise<ServiceProcess>) => {
      const started = await spawning;
      cleanups.push(() => started.stop());
      return started;
    };

    const [usersPort, usersGrpc, ordersPort, ordersGrpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const usersUrl = `http://127.0.0.1:${usersPort}`;
    const ordersUrl = `http://127.0.0.1:${ordersPort}`;
    const jwksUrl = `${usersUrl}/.well-known/jwks.json`;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const production = { NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    const profiled = (name: string) =>
      options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfileDir, name)}`] : [];
    const logFile = (name: string) => path.join(options.workDir, `${name}.log`);
    const cgroups = new Map<string, MemoryCgroup>();
    const cgroupFor = (name: string): MemoryCgroup | undefined => {
      if (!options.memoryLimitMiB) return undefined;
      const cgroup = createMemoryCgroup(name, options.memoryLimitMiB);
      cgroups.set(name, cgroup);
      cleanups.push(async () => cgroup.remove());
      return cgroup;
    };
    const subgraphsStarting = later(
      timed('subgraphs', () =>
        Promise.all([
          stoppedWithStack(
            startServiceProcess({
              name: 'users',
              entry: 'subgraphs/users/dist/main.js',
              cgroup: cgroupFor('users'),
              logFile: logFile('users'),
              nodeFlags: profiled('users'),
              isReady: () => answersOk(`${usersUrl}/readyz`),
              env: {
                ...production,
                PORT: String(usersPort),
                GRPC_PORT: String(usersGrpc),
                DATABASE_URL: usersDb.url,
                DATA_DIR: path.join(options.workDir, 'users'),
                JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
                // Tokens outlive the longest run.
                JWT_TTL_SECONDS: '86400',
                ORDER_SERVICE_ADDR: `127.0.0.1:${ordersGrpc}`,
              },
            }),
          ),
          stoppedWithStack(
            startServiceProcess({
              name: 'orders',
              entry: 'subgraphs/orders/dist/main.js',
              cgroup: cgroupFor('orders'),
              logFile: logFile('orders'),
              nodeFlags: profiled('orders'),
              isReady: () => answersOk(`${ordersUrl}/readyz`),
              env: {
                ...production,
                PORT: String(ordersPort),
                GRPC_PORT: String(ordersGrpc),
                DATABASE_URL: ordersDb.url,
                DATA_DIR: path.join(options.workDir, 'orders'),
                USER_SERVICE_ADDR: `127.0.0.1:${usersGrpc}`,
                JWKS_URL: jwksUrl,
                SEED_CATALOG: 'false',
                ...(options.natsUrl ? { NATS_URL: options.natsUrl } : {}),
                ...(options.outboxPollMs ? { OUTBOX_POLL_MS: String(options.outboxPollMs) } : {}),
              },
            }),
          ),
        ]),
      ),
    );

    const otlpSink = await startOtlpSink();
    cleanups.push(() => otlpSink.close());
    const gatewayPorts = await Promise.all(options.gateways.map(() => freePort()));
    const subgraphUrls = { USERS_URL: `${usersUrl}/graphql`, ORDERS_URL: `${ordersUrl}/graphql` };
    const gatewaysStarting = later(
      timed('gateways', () =>
        Promise.all(
          options.gateways.map(async (id, i) => {
            const url = `http://127.0.0.1:${gatewayPorts[i]}`;
            const common = { ...production, PORT: String(gatewayPorts[i]), ...subgraphUrls };
            const label = GATEWAYS.find((gateway) => gateway.id === id)!.label;
            const ours = id.startsWith('ours');
            const lean = id === 'ours-lean';
            const started = await stoppedWithStack(
              ours
                ? startServiceProcess({
                    name: label,
                    entry: 'gateway/dist/main.js',
                    cgroup: cgroupFor(`gateway-${id}`),
                    logFile: logFile(`gateway-${id}`),
                    isReady: () => answersOk(`${url}/readyz`),
                    nodeFlags: [
                      ...(id === profiledGatewayId(options.gateways) ? profiled('gateway') : []),
                      ...(id === 'ours-sourcemaps' ? ['--enable-source-maps'] : []),
                    ],
                    env: {
                      ...common,
                      JWKS_URL: jwksUrl,
                      // Telemetry on: Prometheus metrics and request logs always are; traces export to the sink.
                      ...(lean ? { LOG_LEVEL: 'warn' } : { OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink.url }),
                      ...(id === 'ours-alltraces' || lean ? {} : PRODUCTION_TRACE_SAMPLING),
                      // Limits raised out of reach (measured, never refusing), or switched off (0).
                      RATE_LIMIT_ANON_PER_MIN: lean ? '0' : UNREACHABLE_PER_MINUTE,
                      RATE_LIMIT_USER_PER_MIN: lean ? '0' : UNREACHABLE_PER_MINUTE,
                      RATE_LIMIT_AUTH_PER_MIN: lean ? '0' : UNREACHABLE_PER_MINUTE,
                      ...(id === 'ours-nodedup' ? { SUBGRAPH_DEDUPLICATION: 'false' } : {}),
                      ...(id === 'ours-nosubdedup' ? { SUBSCRIPTION_DEDUPLICATION: 'false' } : {}),
                      // Every bench subscriber shares 127.0.0.1 and one of 50 accounts: the caps out of reach.
                      SUBSCRIPTIONS_PER_USER: '1000000',
                      WS_CONNECTIONS_PER_IP: '1000000',
                      // The response cache is off unless asked for (gateway config): on only in ours-cache.
                      RESPONSE_CACHE: id.startsWith('ours-cache') ? 'true' : 'false',
                      ...(options.natsUrl ? { NATS_URL: options.natsUrl } : {}),
                      ...(id === 'ours-linelog' ? { LOG_BATCH_BYTES: '0' } : {}),
                    },
                  })
                : startServiceProcess({
                    name: label,
                    entry: id === 'apollo' ? 'bench/dist/gateways/bare-apollo-gateway.js' : 'bench/dist/gateways/hive-gateway.js',
                    cgroup: cgroupFor(`gateway-${id}`),
                    logFile: logFile(`gateway-${id}`),
                    isReady: graphqlReady(url),
                    env: {
                      ...common,
                      SUPERGRAPH_PATH: path.resolve(__dirname, '../supergraph.graphql'),
                      ...(id === 'hive-nodedup' ? { DEDUPLICATE_INFLIGHT: 'false' } : {}),
                    },
                  }),
            );
            return { id, label, url, process: started };
          }),
        ),
      ),
    );
    const seed = await seeding;
    options.log(
      `seeded ${seed.counts.users} users, ${seed.counts.orders} orders, ${seed.counts.orderItems} order items, ${seed.counts.products} products`,
    );
    const [usersProcess, ordersProcess] = await subgraphsStarting;
    // The accounts sign in (scrypt on the users service) while the gateways finish starting.
    const tokens = await timed('sign-ins', () =>
      signInAll(usersUrl, [seed.admin.email, ...seed.accounts.slice(0, options.accounts).map((a) => a.email)]),
    );
    const gateways = await gatewaysStarting;
    const [adminToken, ...customerTokens] = tokens;
    return {
      seed,
      timings,
      users: { url: usersUrl, process: usersProcess },
      orders: { url: ordersUrl, process: ordersProcess },
      gateways,
      adminToken: adminToken!,
      customerTokens,
      otlpSink,
      pids: () => ({
        users: usersProcess.pid,
        orders: ordersProcess.pid,
        ...Object.fromEntries(gateways.map((gateway) => [gateway.id, gateway.process.pid])),
      }),
      memoryCgroups: () =>
        Object.fromEntries(
          [...cgroups].map(([name, cgroup]) => [
            name,
            { peakMiB: Math.round(cgroup.peakBytes() / 2 ** 20), limitHits: cgroup.limitHits() },
          ]),
        ),
      stop,
    };
  } catch (error) {
    await Promise.allSettled(starting);
    await stop();
    throw error;
  }
}

/** Signs every account in on the users subgraph itself (the gateway's credential limit is not what is measured), four at a time. */
async function signInAll(usersUrl: string, emails: string[]): Promise<string[]> {
  const tokens: string[] = new Array(emails.length);
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const index = next++;
      const response = await fetch(`${usersUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation BenchSignIn($input: SignInInput!) { signIn(input: $input) { token } }',
          variables: { input: { email: emails[index], password: PASSWORD } },
        }),
      });
      const payload = (await response.json()) as { data?: { signIn?: { token?: string } }; errors?: unknown[] };
      const token = payload.data?.signIn?.token;
      if (!token) throw new Error(`sign-in of ${emails[index]} failed: ${JSON.stringify(payload.errors ?? payload)}`);
      tokens[index] = token;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return tokens;
}
