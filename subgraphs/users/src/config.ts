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

/** Development-only admin account, created at start when ADMIN_EMAIL/ADMIN_PASSWORD are unset. */
export const DEVELOPMENT_ADMIN = { email: 'admin@fedshop.local', password: 'admin-password' } as const;

const schema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  HOST: z.string().default('0.0.0.0'),
  PORT: env.port(4001),
  GRPC_PORT: env.port(50051),
  DATABASE_URL: env.postgresUrl().optional(),
  DATA_DIR: z.string().default(path.join(REPO_ROOT, '.data', 'users')),
  EMBEDDED_POSTGRES_PORT: env.port(55431),
  MIGRATE_ON_START: z.enum(['true', 'false']).optional(),
  DB_POOL_MAX: env.positiveInt(10),
  JWT_ISSUER: z.string().default('fedshop-users'),
  JWT_AUDIENCE: z.string().default('fedshop-api'),
  JWT_TTL_SECONDS: env.positiveInt(900),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_ADDITIONAL_PUBLIC_KEYS: z.string().optional(),
  REFRESH_TOKEN_TTL_SECONDS: env.positiveInt(14 * 24 * 3600),
  ORDER_SERVICE_ADDR: z.string().default('localhost:50052'),
  ...grpcClientEnvSchema,
  ...shutdownEnvSchema,
  ...telemetryEnvSchema,
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  SCRYPT_COST: z.coerce.number().int().min(1024).max(1_048_576).default(16384),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\//, { message: 'must be a nats:// URL' })
    .optional(),
  NATS_NAMESPACE: z.string().regex(NATS_NAMESPACE_PATTERN, { message: '1 to 32 letters, digits, - or _' }).optional(),
  EVENTS_ACK_WAIT_MS: env.positiveInt(30_000),
  EVENTS_MAX_ATTEMPTS: env.positiveInt(5),
  SUBSCRIPTION_BUFFER: env.positiveInt(256),
  EVENTS_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'letters, digits, - and _ only' })
    .default('users-loyalty'),
  SIGN_IN_DELAY_AFTER: env.positiveInt(3),
  SIGN_IN_DELAY_MS: z.coerce.number().int().min(0).default(500),
  SIGN_IN_LOCK_AFTER: env.positiveInt(10),
  SIGN_IN_LOCK_SECONDS: env.positiveInt(900),
});

export type UsersConfig = ReturnType<typeof loadConfig>;

/**
 * Reads the users service's configuration from the environment, once. In production the
 * signing key must be given (JWT_PRIVATE_KEY) and no development default is used.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env) {
  // The rules across variables look at the raw values, so one start reports every bad variable
  // together with the schema's problems (not those first and these on the next attempt).
  const given = (name: string) => Boolean(source[name]?.trim());
  const production = source.NODE_ENV?.trim() === 'production';
  const problems: string[] = [];
  if (production && !given('JWT_PRIVATE_KEY')) problems.push('JWT_PRIVATE_KEY: required in production');
  if (production && !given('DATABASE_URL')) problems.push('DATABASE_URL: required in production');
  if (given('ADMIN_EMAIL') !== given('ADMIN_PASSWORD')) {
    problems.push('ADMIN_EMAIL / ADMIN_PASSWORD: set both or neither');
  }
  let raw: z.infer<typeof schema>;
  try {
    raw = parseEnv(schema, source);
  } catch (error) {
    throw error instanceof ConfigError ? new ConfigError([...error.problems, ...problems]) : error;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const admin =
    raw.ADMIN_EMAIL && raw.ADMIN_PASSWORD
      ? { email: raw.ADMIN_EMAIL, password: raw.ADMIN_PASSWORD, isDevelopmentDefault: false }
      : production
        ? null
        : { ...DEVELOPMENT_ADMIN, isDevelopmentDefault: true };
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
      embedded: { dataDir: path.join(raw.DATA_DIR, 'postgres'), port: raw.EMBEDDED_POSTGRES_PORT, database: 'users' },
      // Development applies migrations at start; deploys run `npm run migrate` first.
      migrateOnStart: raw.MIGRATE_ON_START ? raw.MIGRATE_ON_START === 'true' : !production,
      poolMax: raw.DB_POOL_MAX,
    },
    jwt: {
      issuer: raw.JWT_ISSUER,
      audience: raw.JWT_AUDIENCE,
      ttlSeconds: raw.JWT_TTL_SECONDS,
      privateKeyPem: raw.JWT_PRIVATE_KEY,
      /** Public keys of the next (before a rotation) or previous (after it) signing key: published and accepted. */
      additionalPublicKeysPem: raw.JWT_ADDITIONAL_PUBLIC_KEYS?.trim() || undefined,
      /** Where a development signing key is kept so tokens survive restarts. */
      keyFile: path.join(raw.DATA_DIR, 'jwt-signing-key.json'),
    },
    /** Refresh tokens (docs/security.md, Sessions): valid this long unused; every refresh starts the period again. */
    sessions: { refreshTtlSeconds: raw.REFRESH_TOKEN_TTL_SECONDS },
    orderServiceAddress: raw.ORDER_SERVICE_ADDR,
    admin,
    scryptCost: raw.SCRYPT_COST,
    /**
     * JetStream when set; otherwise order events are read from the orders service's outbox feed
     * over gRPC (ORDER_SERVICE_ADDR), with no broker at all.
     */
    natsUrl: raw.NATS_URL,
    /** Prefix of the JetStream stream and subjects: deployments sharing one NATS server never see each other's events. */
    natsNamespace: raw.NATS_NAMESPACE,
    /** Name of the loyalty consumer: JetStream's durable consumer, or the feed cursor's. */
    eventsConsumer: raw.EVENTS_CONSUMER,
    /** JetStream only: redelivery delay of an event whose consumer died before acknowledging it. */
    eventsAckWaitMs: raw.EVENTS_ACK_WAIT_MS,
    /** Deliveries an order event whose application keeps failing gets before it is parked. */
    eventsMaxAttempts: raw.EVENTS_MAX_ATTEMPTS,
    /** Loyalty changes one subscription may have waiting before it is ended as too slow (the gateway reads them at once). */
    subscriptionBuffer: raw.SUBSCRIPTION_BUFFER,
    /** Sign-in slowdown and lockout per email (docs/security.md). */
    signInThrottle: {
      delayAfter: raw.SIGN_IN_DELAY_AFTER,
      delayMs: raw.SIGN_IN_DELAY_MS,
      lockAfter: raw.SIGN_IN_LOCK_AFTER,
      lockSeconds: raw.SIGN_IN_LOCK_SECONDS,
    },
  };
}

/**
 * The variables the users service reads and what each means: docs/configuration.md is generated
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
  JWT_TTL_SECONDS: 'Lifetime of an access token in seconds (tokens carry no revocation: keep it short).',
  JWT_ADDITIONAL_PUBLIC_KEYS:
    'PEM public keys published in the JWKS and accepted besides the signing key: the next or previous key of a rotation (docs/security.md, Signing-key rotation).',
  JWT_PRIVATE_KEY:
    'PKCS#8 PEM of the P-256 (ES256) signing key; `\\n` escapes allowed. Unset in development: a key is generated once and kept in `DATA_DIR`.',
  REFRESH_TOKEN_TTL_SECONDS:
    'A refresh token (the session cookie) expires unused after this many seconds; each refresh starts the period again.',
  ORDER_SERVICE_ADDR: "The orders service's gRPC address (`CountOpenOrders` is asked before an account is deleted).",
  ADMIN_EMAIL: `Admin account created at start, with \`ADMIN_PASSWORD\` (both or neither). Unset in development: \`${DEVELOPMENT_ADMIN.email}\` / \`${DEVELOPMENT_ADMIN.password}\`; in production: none.`,
  ADMIN_PASSWORD: 'Password of the `ADMIN_EMAIL` account.',
  SCRYPT_COST: 'scrypt cost N of password hashes (a power of two).',
  EVENTS_ACK_WAIT_MS: 'Redelivery delay of an event whose consumer died before acknowledging it, in milliseconds.',
  SUBSCRIPTION_BUFFER: 'Loyalty changes one subscription (myLoyaltyChanged) may have waiting before it is ended as too slow.',
  EVENTS_MAX_ATTEMPTS:
    'Deliveries an order event whose application keeps failing gets before it is parked (logged, counted, kept in parked_events).',
  EVENTS_CONSUMER: 'Durable JetStream consumer name of the loyalty consumer (JetStream remembers its position).',
  SIGN_IN_DELAY_AFTER: 'Failed sign-ins of one email (known or not) before answers slow down.',
  SIGN_IN_DELAY_MS: 'First sign-in delay after `SIGN_IN_DELAY_AFTER` failures, in milliseconds; doubles per further failure, up to 16×.',
  SIGN_IN_LOCK_AFTER: 'Failed sign-ins that lock an email (even the right password is refused with `RATE_LIMITED`).',
  SIGN_IN_LOCK_SECONDS: 'Lock duration in seconds, and the quiet time after which failures are forgotten.',
  ...grpcClientEnvDescriptions,
  ...shutdownEnvDescriptions,
  ...telemetryEnvDescriptions,
} satisfies Record<keyof typeof schema.shape, string>;
