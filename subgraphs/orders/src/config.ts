import path from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  env,
  grpcClientEnvDescriptions,
  grpcClientEnvSchema,
  grpcClientSettings,
  parseEnv,
  serviceEnvDescriptions,
  shutdownEnvDescriptions,
  shutdownEnvSchema,
  subgraphEnvDescriptions,
} from '@fedshop/shared/config';
import { telemetryEnvDescriptions, telemetryEnvSchema, telemetrySettings } from '@fedshop/shared/telemetry';
import { NATS_NAMESPACE_PATTERN } from '@fedshop/shared/events';

const REPO_ROOT = path.resolve(__dirname, '../../..');

const schema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  HOST: z.string().default('0.0.0.0'),
  PORT: env.port(4002),
  GRPC_PORT: env.port(50052),
  DATABASE_URL: env.postgresUrl().optional(),
  DATA_DIR: z.string().default(path.join(REPO_ROOT, '.data', 'orders')),
  EMBEDDED_POSTGRES_PORT: env.port(55432),
  MIGRATE_ON_START: z.enum(['true', 'false']).optional(),
  DB_POOL_MAX: env.positiveInt(10),
  SEED_CATALOG: env.boolean(true),
  JWKS_URL: env.url().default('http://localhost:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().default('fedshop-users'),
  JWT_AUDIENCE: z.string().default('fedshop-api'),
  USER_SERVICE_ADDR: z.string().default('localhost:50051'),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\//, { message: 'must be a nats:// URL' })
    .optional(),
  NATS_NAMESPACE: z.string().regex(NATS_NAMESPACE_PATTERN, { message: '1 to 32 letters, digits, - or _' }).optional(),
  OUTBOX_POLL_MS: env.positiveInt(250),
  OUTBOX_RETENTION_HOURS: env.positiveInt(168),
  SUBSCRIPTION_BUFFER: env.positiveInt(256),
  ...grpcClientEnvSchema,
  ...shutdownEnvSchema,
  ...telemetryEnvSchema,
});

export type OrdersConfig = ReturnType<typeof loadConfig>;

/** Reads the orders service's configuration from the environment, once. */
export function loadConfig(source: Record<string, string | undefined> = process.env) {
  // Checked on the raw value so a start with other bad variables reports this one too.
  const production = source.NODE_ENV?.trim() === 'production';
  const problems = production && !source.DATABASE_URL?.trim() ? ['DATABASE_URL: required in production'] : [];
  let raw: z.infer<typeof schema>;
  try {
    raw = parseEnv(schema, source);
  } catch (error) {
    throw error instanceof ConfigError ? new ConfigError([...error.problems, ...problems]) : error;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv: raw.NODE_ENV,
    // Pretty lines are for people at a terminal: production always writes JSON.
    log: { level: raw.LOG_LEVEL, pretty: raw.LOG_PRETTY && raw.NODE_ENV !== 'production' },
    /** OTLP export and sampling of traces (OTEL_* variables; docs/observability.md). */
    telemetry: telemetrySettings(raw),
    http: { host: raw.HOST, port: raw.PORT },
    grpc: { host: raw.HOST, port: raw.GRPC_PORT },
    /** Deadline, retries and breaker of this service's calls to the other subgraph. */
    grpcClient: grpcClientSettings(raw),
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    database: {
      url: raw.DATABASE_URL,
      embedded: { dataDir: path.join(raw.DATA_DIR, 'postgres'), port: raw.EMBEDDED_POSTGRES_PORT, database: 'orders' },
      // Development applies migrations at start; deploys run `npm run migrate` first.
      migrateOnStart: raw.MIGRATE_ON_START ? raw.MIGRATE_ON_START === 'true' : !production,
      poolMax: raw.DB_POOL_MAX,
    },
    /** Seed the demo catalog into an empty products table at start. */
    seedCatalog: raw.SEED_CATALOG,
    jwt: { jwksUrl: raw.JWKS_URL, issuer: raw.JWT_ISSUER, audience: raw.JWT_AUDIENCE },
    userServiceAddress: raw.USER_SERVICE_ADDR,
    /**
     * JetStream when set; otherwise consumers read the outbox as a feed over gRPC
     * (order.v1.OrderService/ListOrderEvents), with no broker at all.
     */
    natsUrl: raw.NATS_URL,
    /** Prefix of the JetStream stream and subjects: deployments sharing one NATS server never see each other's events. */
    natsNamespace: raw.NATS_NAMESPACE,
    /** How often the relay looks for events to release, and a feed long poll looks again. */
    outboxPollMs: raw.OUTBOX_POLL_MS,
    /**
     * Released events are kept at least this long (like JetStream's 7-day stream), and beyond
     * it until every feed consumer heard from within it has acknowledged them.
     */
    outboxRetentionSeconds: raw.OUTBOX_RETENTION_HOURS * 3600,
    /** Status changes one subscription may have waiting before it is ended as too slow (the gateway reads them at once). */
    subscriptionBuffer: raw.SUBSCRIPTION_BUFFER,
  };
}

/**
 * The variables the orders service reads and what each means: docs/configuration.md is generated
 * from these (`npm run docs:config`), and a test fails when the two disagree.
 */
export const envSchema = schema;
export const envDescriptions = {
  NODE_ENV: serviceEnvDescriptions.NODE_ENV,
  LOG_LEVEL: serviceEnvDescriptions.LOG_LEVEL,
  LOG_PRETTY: serviceEnvDescriptions.LOG_PRETTY,
  HOST: serviceEnvDescriptions.HOST,
  PORT: serviceEnvDescriptions.PORT,
  GRPC_PORT: subgraphEnvDescriptions.GRPC_PORT,
  DATABASE_URL: subgraphEnvDescriptions.DATABASE_URL,
  DATA_DIR: subgraphEnvDescriptions.DATA_DIR,
  EMBEDDED_POSTGRES_PORT: subgraphEnvDescriptions.EMBEDDED_POSTGRES_PORT,
  MIGRATE_ON_START: subgraphEnvDescriptions.MIGRATE_ON_START,
  DB_POOL_MAX: subgraphEnvDescriptions.DB_POOL_MAX,
  JWT_ISSUER: serviceEnvDescriptions.JWT_ISSUER,
  JWT_AUDIENCE: serviceEnvDescriptions.JWT_AUDIENCE,
  NATS_URL: subgraphEnvDescriptions.NATS_URL,
  NATS_NAMESPACE:
    "Prefix of the JetStream stream and subjects (stream `<ns>_ORDERS`, subjects `<ns>.orders.v1.>`), so deployments or test runs sharing one NATS server never see each other's events; the same value for users and orders. Unset: stream `ORDERS`.",
  SEED_CATALOG: 'Seed the demo catalog into an empty products table at start.',
  JWKS_URL: serviceEnvDescriptions.JWKS_URL,
  USER_SERVICE_ADDR: "The users service's gRPC address (`GetUser` is asked before an order is accepted).",
  OUTBOX_POLL_MS: 'How often the outbox relay looks for events to release (and a feed long poll looks again), in milliseconds.',
  SUBSCRIPTION_BUFFER: 'Status changes one subscription (orderStatusChanged) may have waiting before it is ended as too slow.',
  OUTBOX_RETENTION_HOURS:
    'Released outbox events are kept at least this many hours, and beyond that until every feed consumer heard from within that time has read them.',
  ...grpcClientEnvDescriptions,
  ...shutdownEnvDescriptions,
  ...telemetryEnvDescriptions,
} satisfies Record<keyof typeof schema.shape, string>;
