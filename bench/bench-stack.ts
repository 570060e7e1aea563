import { mkdirSync } from 'node:fs';
import { freePort } from '@fedshop/shared/testing';
import { createBenchDatabases } from './bench-databases';
import { GATEWAYS, isOurs, profiledGatewayIds, type GatewayId } from './bench-gateways';
import { startOtlpSink, type OtlpSink } from './otlp-sink';
import { pickSubgraphAddresses, startOurGateway, startSubgraphs, type OurGatewayContext } from './our-services';
import { startPeerGateway } from './peer-gateways';
import { ISSUE_VOLUME, migrateSubgraphDatabases, seedDatabases, type SeedSummary, type SeedVolume } from './seed-databases';
import type { ServiceProcess } from './service-process';
import { signInAccounts } from './sign-in-accounts';
import { createStackLauncher, type StackLauncher } from './stack-launcher';
import { createStartupSteps } from './startup-steps';
import { createTeardown } from './teardown';

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
  /** When set, our gateway, the bare Apollo Gateway and both subgraphs run with --cpu-prof and write their profiles to `<dir>/<gateway|gateway-apollo|users|orders>` on exit. */
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

const PASSWORD = 'bench-password';

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
  const steps = createStartupSteps(options.log);
  const teardown = createTeardown();
  try {
    mkdirSync(options.workDir, { recursive: true });
    const databases = await steps.timed('postgres', () => createBenchDatabases(options, teardown));
    const databaseUrls = { usersUrl: databases.users.url, ordersUrl: databases.orders.url };
    await steps.timed('migrations', () => migrateSubgraphDatabases(databaseUrls));
    // Seeding, the subgraphs and the gateways start together: none needs another to start (our
    // gateway's readiness waits for the subgraphs), and the start-up is most of a quick run.
    const seeding = steps.inBackground(steps.timed('seed', () => seedDatabases({ ...databaseUrls, volume, password: PASSWORD })));
    const launcher = createStackLauncher(options, teardown);
    const addresses = await pickSubgraphAddresses();
    const subgraphsStarting = steps.inBackground(
      steps.timed('subgraphs', () =>
        startSubgraphs(launcher, {
          addresses,
          databases,
          workDir: options.workDir,
          natsUrl: options.natsUrl,
          outboxPollMs: options.outboxPollMs,
        }),
      ),
    );

    const otlpSink = await startOtlpSink();
    teardown.add(() => otlpSink.close());
    const gatewayPorts = await Promise.all(options.gateways.map(() => freePort()));
    const ourContext = { addresses, otlpSinkUrl: otlpSink.url, natsUrl: options.natsUrl };
    const gatewaysStarting = steps.inBackground(
      steps.timed('gateways', () =>
        Promise.all(
          options.gateways.map((id, i) =>
            startGateway(launcher, { id, port: gatewayPorts[i]!, profiled: profiledGatewayIds(options.gateways).includes(id) }, ourContext),
          ),
        ),
      ),
    );
    const seed = await seeding;
    options.log(
      `seeded ${seed.counts.users} users, ${seed.counts.orders} orders, ${seed.counts.orderItems} order items, ${seed.counts.products} products`,
    );
    const [usersProcess, ordersProcess] = await subgraphsStarting;
    // The accounts sign in (scrypt on the users service) while the gateways finish starting.
    const tokens = await steps.timed('sign-ins', () =>
      signInAccounts(addresses.users.url, [seed.admin.email, ...seed.accounts.slice(0, options.accounts).map((a) => a.email)], PASSWORD),
    );
    const gateways = await gatewaysStarting;
    const [adminToken, ...customerTokens] = tokens;
    return {
      seed,
      timings: steps.timings,
      users: { url: addresses.users.url, process: usersProcess },
      orders: { url: addresses.orders.url, process: ordersProcess },
      gateways,
      adminToken: adminToken!,
      customerTokens,
      otlpSink,
      pids: () => ({
        users: usersProcess.pid,
        orders: ordersProcess.pid,
        ...Object.fromEntries(gateways.map((gateway) => [gateway.id, gateway.process.pid])),
      }),
      memoryCgroups: () => launcher.memoryCgroups(),
      stop: () => teardown.run(),
    };
  } catch (error) {
    await steps.settled();
    await teardown.run();
    throw error;
  }
}

/** One gateway of the run: ours in one of its variants, or a peer. */
async function startGateway(
  launcher: StackLauncher,
  gateway: { id: GatewayId; port: number; profiled: boolean },
  ourContext: OurGatewayContext,
): Promise<RunningGateway> {
  const { id, port } = gateway;
  const label = GATEWAYS.find((known) => known.id === id)!.label;
  const url = `http://127.0.0.1:${port}`;
  const starting = isOurs(id)
    ? startOurGateway(launcher, { id, label, port, url, profiled: gateway.profiled }, ourContext)
    : startPeerGateway(launcher, { id, label, port, url, profiled: gateway.profiled }, ourContext.addresses);
  return { id, label, url, process: await starting };
}
