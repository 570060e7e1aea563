import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, freePort, type TestDatabase } from '@fedshop/shared/testing';
import type { BalancedEndpoint } from './haproxy-config';
import { startHaproxy, type RunningHaproxy } from './haproxy';
import { Replica, type ScaledService } from './replica';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** An ES256 signing key: the private half for the users service, the public half for rotations. */
export interface SigningKeyPair {
  privatePem: string;
  publicPem: string;
}

export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A place a replica can run: its ports, and the replica running there (if any). */
interface Slot {
  name: string;
  httpPort: number;
  grpcPort: number | undefined;
  replica: Replica | undefined;
  /** Out of the load balancer (HAProxy maintenance): the spare slot of a rolling update. */
  spare: boolean;
}

/** A clock the fault schedule and the report share. */
export interface FaultEvent {
  atMs: number;
  service: ScaledService;
  what: string;
}

/**
 * Every replica of one service and the HAProxy backends in front of them. One slot more than
 * replicas: a rolling update starts the new replica in the spare slot first (`maxSurge: 1`,
 * `maxUnavailable: 0`, as the Deployments say), takes the old one out of the balancer (what
 * endpoint removal does for a terminating pod), waits a moment (the `preStop` pause), sends
 * SIGTERM and lets it drain.
 */
export class ReplicaSet {
  readonly slots: Slot[];
  /** Every replica ever started, the stopped and killed ones included (their logs stay). */
  readonly history: Replica[] = [];
  private generation = 0;

  constructor(
    readonly service: ScaledService,
    slots: Slot[],
    private env: (slot: Slot) => Record<string, string>,
    private readonly haproxy: RunningHaproxy,
    private readonly logDir: string,
    private readonly record: (event: Omit<FaultEvent, 'atMs'>) => void,
  ) {
    this.slots = slots;
  }

  /** The HAProxy backends a slot is a server of (HTTP, and gRPC for subgraphs). */
  private backends(): string[] {
    return this.service === 'gateway' ? ['gateway'] : [`${this.service}-http`, `${this.service}-grpc`];
  }

  get replicas(): Replica[] {
    return this.slots.flatMap((slot) => (slot.replica?.running ? [slot.replica] : []));
  }

  /** Starts a replica in `slot` and waits until the balancer sends it traffic. */
  private async startIn(slot: Slot): Promise<Replica> {
    this.generation += 1;
    const replica = new Replica(
      this.service,
      slot.name,
      slot.httpPort,
      this.env(slot),
      path.join(this.logDir, `${slot.name}.${this.generation}.log`),
    );
    slot.replica = replica;
    this.history.push(replica);
    await replica.start();
    for (const backend of this.backends()) {
      if (slot.spare) await this.haproxy.setState(backend, slot.name, 'ready');
      await this.haproxy.waitFor(backend, slot.name, 'UP');
    }
    slot.spare = false;
    return replica;
  }

  /** Starts every slot but the spare one. */
  async startAll(): Promise<void> {
    await Promise.all(this.slots.filter((slot) => !slot.spare).map((slot) => this.startIn(slot)));
  }

  /** SIGKILL of the replica in slot `index` (a crash, an OOM kill), then a restart in the same slot, as a kubelet restarts a container. */
  async crashAndRestart(index: number, downMs: number): Promise<void> {
    const slot = this.slots[index]!;
    this.record({ service: this.service, what: `SIGKILL ${slot.name}` });
    await slot.replica!.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startIn(slot);
    this.record({ service: this.service, what: `${slot.name} restarted and UP` });
  }

  /**
   * Replaces the replica in slot `index` with one running `env` on top of the current
   * environment (a new version or configuration), which every later replica then gets too.
   */
  async rollingReplace(index: number, env: Record<string, string> = {}, preStopMs = 1_000): Promise<void> {
    const old = this.slots[index]!;
    const spare = this.slots.find((slot) => slot.spare);
    if (!spare) throw new Error(`${this.service} has no spare slot for a rolling update`);
    const base = this.env;
    this.env = (slot) => ({ ...base(slot), ...env });
    this.record({ service: this.service, what: `rolling update: starting ${spare.name}` });
    await this.startIn(spare);
    for (const backend of this.backends()) await this.haproxy.setState(backend, old.name, 'drain');
    await new Promise((resolve) => setTimeout(resolve, preStopMs));
    this.record({ service: this.service, what: `rolling update: SIGTERM ${old.name}` });
    const exit = await old.replica!.stop('SIGTERM');
    if (exit.code !== 0) throw new Error(`${old.name} exited with ${JSON.stringify(exit)} after SIGTERM:\n${old.replica!.tail()}`);
    for (const backend of this.backends()) await this.haproxy.setState(backend, old.name, 'maint');
    old.spare = true;
    this.record({ service: this.service, what: `rolling update: ${old.name} drained and stopped` });
  }

  /** Every running replica in turn (a whole rollout). */
  async rollOut(env: Record<string, string>, preStopMs?: number): Promise<void> {
    const running = this.slots.map((slot, index) => ({ slot, index })).filter(({ slot }) => !slot.spare);
    for (const { index } of running) await this.rollingReplace(index, env, preStopMs);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => (slot.replica ? slot.replica.stop('SIGTERM') : Promise.resolve())));
  }
}

export interface ScalePlatformOptions {
  replicas: Record<ScaledService, number>;
  /** Logs, the HAProxy configuration and its socket go here. */
  dir: string;
  redisUrl: string;
  natsUrl: string;
  /** Per-minute budgets at the gateway (the probe uses the credential one). */
  rateLimits?: { anonymous?: number; user?: number; auth?: number };
  /** Pino level of the replicas (`info` logs one line per request, as production does). */
  logLevel?: string;
  /** Redelivery delay of an unacknowledged event, ms (3000 here: a killed consumer's events come back quickly). */
  eventsAckWaitMs?: number;
}

export interface ScalePlatform {
  /** The public door: HAProxy in front of the gateways. */
  gatewayUrl: string;
  /** HAProxy in front of the users replicas' HTTP (GraphQL, JWKS). */
  usersHttpUrl: string;
  haproxy: RunningHaproxy;
  sets: Record<ScaledService, ReplicaSet>;
  usersDatabase: TestDatabase;
  ordersDatabase: TestDatabase;
  /** The key the users replicas sign with at start, and the one a rotation moves to. */
  keys: { initial: SigningKeyPair; next: SigningKeyPair };
  /** Keeps this run apart on the shared NATS server and Redis. */
  natsNamespace: string;
  redisPrefix: string;
  admin: { email: string; password: string };
  /** Faults and rollouts as they happened, ms since the platform started. */
  events: FaultEvent[];
  startedAt: number;
  stop(): Promise<void>;
}

/**
 * The platform as a cluster runs it, on one machine: `replicas` processes of each service
 * (`node dist/main.js`, NODE_ENV=production), one database per subgraph on the test
 * PostgreSQL server, migrated once beforehand as the migration Jobs do, Redis and NATS shared,
 * HAProxy in front of the gateways and of each subgraph's HTTP and gRPC ports, checking every
 * replica's `/readyz`.
 */
export async function startScalePlatform(options: ScalePlatformOptions): Promise<ScalePlatform> {
  const startedAt = Date.now();
  const events: FaultEvent[] = [];
  const record = (event: Omit<FaultEvent, 'atMs'>) => events.push({ atMs: Date.now() - startedAt, ...event });
  const logDir = path.join(options.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const run = randomBytes(4).toString('hex');
  const natsNamespace = `scale-${run}`;
  const redisPrefix = `fedshop-scale:${run}`;
  const admin = { email: `admin-${run}@scale.test`, password: `admin-${run}-password` };
  const keys = { initial: generateSigningKey(), next: generateSigningKey() };

  const [usersDatabase, ordersDatabase] = await Promise.all([createTestDatabase('scale_users'), createTestDatabase('scale_orders')]);
  const cleanups: (() => Promise<unknown>)[] = [() => usersDatabase.drop(), () => ordersDatabase.drop()];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    // The migration Jobs: each subgraph's own `dist/migrate.js`, once, before any replica starts.
    await Promise.all([
      migrate('subgraphs/users/dist/migrate.js', usersDatabase.url),
      migrate('subgraphs/orders/dist/migrate.js', ordersDatabase.url),
    ]);

    const port = () => freePort();
    const slotsOf = async (service: ScaledService, count: number, grpc: boolean): Promise<Slot[]> =>
      Promise.all(
        Array.from({ length: count + 1 }, async (_, index) => ({
          name: `${service}-${index}`,
          httpPort: await port(),
          grpcPort: grpc ? await port() : undefined,
          replica: undefined,
          spare: index === count,
        })),
      );
    const slots = {
      gateway: await slotsOf('gateway', options.replicas.gateway, false),
      users: await slotsOf('users', options.replicas.users, true),
      orders: await slotsOf('orders', options.replicas.orders, true),
    };
    const front = {
      gateway: await port(),
      usersHttp: await port(),
      usersGrpc: await port(),
      ordersHttp: await port(),
      ordersGrpc: await port(),
    };
    const endpoint = (name: string, listenPort: number, protocol: 'http' | 'grpc', of: Slot[]): BalancedEndpoint => ({
      name,
      listenPort,
      protocol,
      slots: of.map((slot) => ({
        name: slot.name,
        port: protocol === 'grpc' ? slot.grpcPort! : slot.httpPort,
        checkPort: slot.httpPort,
        disabled: slot.spare,
      })),
    });
    const haproxy = await startHaproxy(options.dir, {
      statsSocket: path.join(options.dir, 'haproxy.sock'),
      endpoints: [
        endpoint('gateway', front.gateway, 'http', slots.gateway),
        endpoint('users-http', front.usersHttp, 'http', slots.users),
        endpoint('users-grpc', front.usersGrpc, 'grpc', slots.users),
        endpoint('orders-http', front.ordersHttp, 'http', slots.orders),
        endpoint('orders-grpc', front.ordersGrpc, 'grpc', slots.orders),
      ],
    });
    cleanups.push(() => haproxy.stop());

    const usersHttpUrl = `http://127.0.0.1:${front.usersHttp}`;
    const jwksUrl = `${usersHttpUrl}/.well-known/jwks.json`;
    const common = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel ?? 'info',
      SHUTDOWN_TIMEOUT_MS: '10000',
    };
    const subgraphCommon = {
      ...common,
      // The Jobs above migrated; replicas wait for nothing else (MIGRATE_ON_START=false, as deployed).
      MIGRATE_ON_START: 'false',
      // 4 per replica: up to 4 replicas of each subgraph (surge included) on a server others use too.
      DB_POOL_MAX: '4',
      NATS_URL: options.natsUrl,
      NATS_NAMESPACE: natsNamespace,
    };
    const usersEnv = (slot: Slot) => ({
      ...subgraphCommon,
      PORT: String(slot.httpPort),
      GRPC_PORT: String(slot.grpcPort),
      DATABASE_URL: usersDatabase.url,
      DATA_DIR: path.join(options.dir, 'users-data'),
      JWT_PRIVATE_KEY: keys.initial.privatePem,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      // The production cost (16384) makes every sign-up and sign-in ~16× dearer; the rig measures the rest.
      SCRYPT_COST: '1024',
      ORDER_SERVICE_ADDR: `127.0.0.1:${front.ordersGrpc}`,
      EVENTS_ACK_WAIT_MS: String(options.eventsAckWaitMs ?? 3_000),
    });
    const ordersEnv = (slot: Slot) => ({
      ...subgraphCommon,
      PORT: String(slot.httpPort),
      GRPC_PORT: String(slot.grpcPort),
      DATABASE_URL: ordersDatabase.url,
      SEED_CATALOG: 'false',
      JWKS_URL: jwksUrl,
      USER_SERVICE_ADDR: `127.0.0.1:${front.usersGrpc}`,
      OUTBOX_POLL_MS: '100',
    });
    const gatewayEnv = (slot: Slot) => ({
      ...common,
      PORT: String(slot.httpPort),
      USERS_URL: `${usersHttpUrl}/graphql`,
      ORDERS_URL: `http://127.0.0.1:${front.ordersHttp}/graphql`,
      JWKS_URL: jwksUrl,
      REDIS_URL: options.redisUrl,
      RATE_LIMIT_KEY_PREFIX: `${redisPrefix}:ratelimit`,
      PERSISTED_QUERIES_KEY_PREFIX: `${redisPrefix}:apq`,
      // HAProxy connects from 127.0.0.1 and appends the client's address to X-Forwarded-For.
      TRUSTED_PROXIES: '127.0.0.1',
      RATE_LIMIT_ANON_PER_MIN: String(options.rateLimits?.anonymous ?? 300),
      RATE_LIMIT_USER_PER_MIN: String(options.rateLimits?.user ?? 1200),
      RATE_LIMIT_AUTH_PER_MIN: String(options.rateLimits?.auth ?? 10),
    });
    const sets = {
      users: new ReplicaSet('users', slots.users, usersEnv, haproxy, logDir, record),
      orders: new ReplicaSet('orders', slots.orders, ordersEnv, haproxy, logDir, record),
      gateway: new ReplicaSet('gateway', slots.gateway, gatewayEnv, haproxy, logDir, record),
    };
    cleanups.push(
      () => Promise.all([sets.users.stopAll(), sets.orders.stopAll()]),
      () => sets.gateway.stopAll(),
    );
    // Subgraphs first: a gateway is ready only once both answer through the balancer.
    await Promise.all([sets.users.startAll(), sets.orders.startAll()]);
    await sets.gateway.startAll();
    record({ service: 'gateway', what: 'every replica UP behind HAProxy' });

    return {
      gatewayUrl: `http://127.0.0.1:${front.gateway}`,
      usersHttpUrl,
      haproxy,
      sets,
      usersDatabase,
      ordersDatabase,
      keys,
      natsNamespace,
      redisPrefix,
      admin,
      events,
      startedAt,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function migrate(entry: string, databaseUrl: string): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
  });
}
