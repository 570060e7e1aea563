import { z } from 'zod';
import { env } from './parse-env';

/**
 * Variables every gRPC-calling service reads the same way, spread into its config schema.
 * The deadline default (1 s, at most 3 attempts) keeps a whole retried call well under the
 * gateway's 10 s subgraph timeout.
 */
export const grpcClientEnvSchema = {
  GRPC_DEADLINE_MS: env.positiveInt(1_000),
  GRPC_RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  GRPC_RETRY_BASE_DELAY_MS: env.positiveInt(50),
  GRPC_BREAKER_FAILURES: env.positiveInt(5),
  GRPC_BREAKER_HALF_OPEN_MS: env.positiveInt(3_000),
};

export interface GrpcClientSettings {
  deadlineMs: number;
  maxAttempts: number;
  baseRetryDelayMs: number;
  breakerFailures: number;
  breakerHalfOpenAfterMs: number;
}

export function grpcClientSettings(raw: {
  GRPC_DEADLINE_MS: number;
  GRPC_RETRY_MAX_ATTEMPTS: number;
  GRPC_RETRY_BASE_DELAY_MS: number;
  GRPC_BREAKER_FAILURES: number;
  GRPC_BREAKER_HALF_OPEN_MS: number;
}): GrpcClientSettings {
  return {
    deadlineMs: raw.GRPC_DEADLINE_MS,
    maxAttempts: raw.GRPC_RETRY_MAX_ATTEMPTS,
    baseRetryDelayMs: raw.GRPC_RETRY_BASE_DELAY_MS,
    breakerFailures: raw.GRPC_BREAKER_FAILURES,
    breakerHalfOpenAfterMs: raw.GRPC_BREAKER_HALF_OPEN_MS,
  };
}

/** How long a service may take to stop after SIGTERM before it exits anyway (10 s). */
export const shutdownEnvSchema = {
  SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
};

/*
 * What each variable means, one line each. docs/configuration.md is generated from these maps and
 * the schemas beside them (`npm run docs:config`; test/tooling/configuration-docs.test.ts fails
 * when the file and the schemas disagree), so a new variable needs its line here.
 */

/** The variables grpcClientEnvSchema adds. */
export const grpcClientEnvDescriptions = {
  GRPC_DEADLINE_MS: 'Budget of one gRPC call to the other subgraph, retries included, in milliseconds.',
  GRPC_RETRY_MAX_ATTEMPTS:
    'Attempts of a read (`GetUser`, `CountOpenOrders`), the first included; retried on transport failures only, within a retry budget of 20 % of calls. Writes are never retried.',
  GRPC_RETRY_BASE_DELAY_MS: 'First retry delay in milliseconds; doubles per retry, jittered, capped at 500 ms.',
  GRPC_BREAKER_FAILURES: 'Consecutive transport failures that open the circuit breaker (callers then get `SERVICE_UNAVAILABLE` at once).',
  GRPC_BREAKER_HALF_OPEN_MS: 'How long the breaker stays open before one probe call decides whether it closes, in milliseconds.',
} satisfies Record<keyof typeof grpcClientEnvSchema, string>;

/** The variables shutdownEnvSchema adds. */
export const shutdownEnvDescriptions = {
  SHUTDOWN_TIMEOUT_MS:
    'After SIGTERM/SIGINT the process exits within this many milliseconds whatever happens; draining in-flight requests gets all but the last second.',
} satisfies Record<keyof typeof shutdownEnvSchema, string>;

/** Variables every service declares in its own schema, with the same meaning in each. */
export const serviceEnvDescriptions = {
  NODE_ENV:
    '`production` turns on the production posture: required secrets, no development defaults (admin, signing key), no migrations at start, introspection, Sandbox and field suggestions off, JSON logs only.',
  LOG_LEVEL: 'pino log level.',
  LOG_PRETTY: 'Human-readable log lines instead of JSON (ignored in production). `npm start` sets it when the terminal is interactive.',
  HOST: 'Interface the HTTP (and gRPC) servers bind to.',
  PORT: 'HTTP port: GraphQL at `/graphql`, `/healthz`, `/readyz`, `/metrics`.',
  JWT_ISSUER: 'Expected `iss` of access tokens (the users service signs with it).',
  JWT_AUDIENCE: 'Expected `aud` of access tokens (the users service signs with it).',
  JWKS_URL: "The users service's public signing keys; cached 10 minutes, refetched on an unknown key id at most every 30 s.",
} as const;

/** Variables both subgraphs declare in their own schemas, with the same meaning in each. */
export const subgraphEnvDescriptions = {
  GRPC_PORT: "Port of the service's gRPC server (its `*.v1` service and `grpc.health.v1.Health`).",
  DATABASE_URL:
    "The subgraph's own PostgreSQL (never shared with the other subgraph). Unset: an embedded PostgreSQL under `DATA_DIR` on `EMBEDDED_POSTGRES_PORT` (development only).",
  DATA_DIR: 'Local data of a development run: the embedded PostgreSQL cluster (users: also the development signing key).',
  EMBEDDED_POSTGRES_PORT: 'Port of the embedded PostgreSQL when `DATABASE_URL` is unset.',
  MIGRATE_ON_START:
    'Apply pending migrations at start. Unset: `true` in development, `false` in production (deploys run the migration command first).',
  DB_POOL_MAX: 'Connections in the PostgreSQL pool (connect/wait timeout 5 s, idle connections closed after 30 s).',
  NATS_URL:
    'NATS with JetStream for order events (stream `ORDERS`); a missing broker never blocks start. Unset: users pulls the orders outbox as a feed over gRPC (`ListOrderEvents`), no broker needed.',
} as const;
