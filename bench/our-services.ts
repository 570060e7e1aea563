import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { freePort } from '@fedshop/shared/testing';
import type { BenchDatabases } from './bench-databases';
import type { GatewayId } from './bench-gateways';
import { gatewayImageRuntime } from './gateway-image-runtime';
import { answersOk, type ServiceProcess } from './service-process';
import type { StackLauncher } from './stack-launcher';

/** Where the subgraphs listen: ports picked before either starts, since each calls the other over gRPC. */
export interface SubgraphAddresses {
  users: { url: string; port: number; grpcPort: number };
  orders: { url: string; port: number; grpcPort: number };
  /** The users service's public keys, which the orders service and our gateways verify tokens with. */
  jwksUrl: string;
}

export async function pickSubgraphAddresses(): Promise<SubgraphAddresses> {
  const [usersPort, usersGrpc, ordersPort, ordersGrpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const usersUrl = `http://127.0.0.1:${usersPort}`;
  return {
    users: { url: usersUrl, port: usersPort, grpcPort: usersGrpc },
    orders: { url: `http://127.0.0.1:${ordersPort}`, port: ordersPort, grpcPort: ordersGrpc },
    jwksUrl: `${usersUrl}/.well-known/jwks.json`,
  };
}

/** The subgraphs' GraphQL endpoints, as every gateway of the run is given them. */
export function subgraphRoutingEnv(addresses: SubgraphAddresses): Record<string, string> {
  return { USERS_URL: `${addresses.users.url}/graphql`, ORDERS_URL: `${addresses.orders.url}/graphql` };
}

export interface OurServicesContext {
  addresses: SubgraphAddresses;
  /** NATS with JetStream: the orders service publishes its outbox there and our gateways follow its events; default none. */
  natsUrl?: string;
}

export interface OurGatewayContext extends OurServicesContext {
  /** Where our gateways export their traces. */
  otlpSinkUrl: string;
}

/**
 * The two subgraphs, each its own process as `npm start` runs them but in production mode, on
 * the benchmark's databases; the users service signs with a key made for the run.
 */
export function startSubgraphs(
  launcher: StackLauncher,
  options: OurServicesContext & { databases: BenchDatabases; workDir: string; outboxPollMs?: number },
): Promise<[ServiceProcess, ServiceProcess]> {
  const { addresses } = options;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const start = (name: 'users' | 'orders', ownEnv: Record<string, string>) =>
    launcher.start(name, {
      name,
      entry: `subgraphs/${name}/dist/main.js`,
      nodeFlags: launcher.cpuProfileFlags(name),
      isReady: () => answersOk(`${addresses[name].url}/readyz`),
      env: {
        PORT: String(addresses[name].port),
        GRPC_PORT: String(addresses[name].grpcPort),
        DATABASE_URL: options.databases[name].url,
        DATA_DIR: path.join(options.workDir, name),
        ...ownEnv,
      },
    });
  return Promise.all([
    start('users', usersEnv(addresses, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())),
    start('orders', ordersEnv(addresses, options)),
  ]);
}

/** Our gateway in the variant `id` (bench-gateways.ts), from its compiled entry point with the image's Node flags and tunables. */
export function startOurGateway(
  launcher: StackLauncher,
  gateway: { id: GatewayId; label: string; port: number; url: string; profiled: boolean },
  context: OurGatewayContext,
): Promise<ServiceProcess> {
  // As the image runs it: its CMD's Node flags and its ENV's tunables, whatever they become.
  const image = gatewayImageRuntime();
  return launcher.start(`gateway-${gateway.id}`, {
    name: gateway.label,
    entry: 'gateway/dist/main.js',
    isReady: () => answersOk(`${gateway.url}/readyz`),
    nodeFlags: [
      ...image.nodeFlags,
      ...(gateway.profiled ? launcher.cpuProfileFlags('gateway') : []),
      ...(gateway.id === 'ours-sourcemaps' ? ['--enable-source-maps'] : []),
    ],
    env: { ...image.env, ...ourGatewayEnv(gateway.id, { ...context, port: gateway.port }) },
  });
}

/** What only the users service is given, besides where it listens and its database. */
function usersEnv(addresses: SubgraphAddresses, signingKeyPem: string): Record<string, string> {
  return {
    JWT_PRIVATE_KEY: signingKeyPem,
    // Tokens outlive the longest run.
    JWT_TTL_SECONDS: '86400',
    ORDER_SERVICE_ADDR: `127.0.0.1:${addresses.orders.grpcPort}`,
  };
}

/** What only the orders service is given, besides where it listens and its database. */
function ordersEnv(addresses: SubgraphAddresses, options: { natsUrl?: string; outboxPollMs?: number }): Record<string, string> {
  return {
    USER_SERVICE_ADDR: `127.0.0.1:${addresses.users.grpcPort}`,
    JWKS_URL: addresses.jwksUrl,
    SEED_CATALOG: 'false',
    ...(options.natsUrl ? { NATS_URL: options.natsUrl } : {}),
    ...(options.outboxPollMs ? { OUTBOX_POLL_MS: String(options.outboxPollMs) } : {}),
  };
}

/**
 * The trace sampling of docker-compose.prod.yml: a trace of one request in ten, the rest still
 * carrying trace ids into logs and downstream. What a production gateway pays for tracing.
 */
const PRODUCTION_TRACE_SAMPLING = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } as const;

/** Well above what two cores can serve: the limiter's cost is measured, never a refusal. */
const UNREACHABLE_PER_MINUTE = '1000000000';

/** Our gateway's environment in each variant: what GATEWAYS says each one shows. */
function ourGatewayEnv(id: GatewayId, context: OurGatewayContext & { port: number }): Record<string, string> {
  const lean = id === 'ours-lean';
  return {
    PORT: String(context.port),
    ...subgraphRoutingEnv(context.addresses),
    JWKS_URL: context.addresses.jwksUrl,
    // Telemetry on: Prometheus metrics and request logs always are; traces export to the sink.
    ...(lean ? { LOG_LEVEL: 'warn' } : { OTEL_EXPORTER_OTLP_ENDPOINT: context.otlpSinkUrl }),
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
    ...(context.natsUrl ? { NATS_URL: context.natsUrl } : {}),
    ...(id === 'ours-linelog' ? { LOG_BATCH_BYTES: '0' } : {}),
  };
}
