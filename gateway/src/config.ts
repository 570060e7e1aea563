import path from 'node:path';
import { z } from 'zod';
import { env, parseEnv, shutdownEnvSchema } from '@fedshop/shared/config';
import { telemetryEnvSchema, telemetrySettings } from '@fedshop/shared/telemetry';
import { edgeConfig, edgeEnvSchema } from './edge/edge-config';

const REPO_ROOT = path.resolve(__dirname, '../..');

const schema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  HOST: z.string().default('0.0.0.0'),
  PORT: env.port(4000),
  SUPERGRAPH_PATH: z.string().default(path.join(REPO_ROOT, 'supergraph.graphql')),
  SUPERGRAPH_POLL_MS: z.coerce.number().int().min(0).default(2_000),
  USERS_URL: env.url().optional(),
  ORDERS_URL: env.url().optional(),
  JWKS_URL: env.url().default('http://localhost:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().default('fedshop-users'),
  JWT_AUDIENCE: z.string().default('fedshop-api'),
  SUBGRAPH_TIMEOUT_MS: env.positiveInt(10_000),
  SUBGRAPH_DEDUPLICATION: env.boolean(true),
  CORS_ORIGINS: z.string().optional(),
  SESSION_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  INTROSPECTION: z.enum(['true', 'false']).optional(),
  MAX_BODY_BYTES: env.positiveInt(1024 * 1024),
  APOLLO_TELEMETRY_DISABLED: env.boolean(true),
  ...shutdownEnvSchema,
  ...telemetryEnvSchema,
  ...edgeEnvSchema,
});

export type GatewayConfig = ReturnType<typeof loadConfig>;

/** Reads the gateway's configuration from the environment, once. */
export function loadConfig(source: Record<string, string | undefined> = process.env) {
  const raw = parseEnv(schema, source);
  const production = raw.NODE_ENV === 'production';
  const cors = raw.CORS_ORIGINS ?? (production ? '' : '*');
  const corsOrigins =
    cors === '*'
      ? ('*' as const)
      : cors
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean);
  return {
    nodeEnv: raw.NODE_ENV,
    // Pretty lines are for people at a terminal: production always writes JSON.
    log: { level: raw.LOG_LEVEL, pretty: raw.LOG_PRETTY && raw.NODE_ENV !== 'production' },
    /** OTLP export and sampling of traces (OTEL_* variables; README, Observability). */
    telemetry: telemetrySettings(raw),
    http: { host: raw.HOST, port: raw.PORT, maxBodyBytes: raw.MAX_BODY_BYTES },
    supergraphPath: path.resolve(raw.SUPERGRAPH_PATH),
    /** How often the supergraph file is checked for a new version (0: never). */
    supergraphPollMs: raw.SUPERGRAPH_POLL_MS,
    /** Routing URLs that replace the ones in the supergraph, by subgraph name. */
    subgraphUrlOverrides: Object.fromEntries(
      Object.entries({ users: raw.USERS_URL, orders: raw.ORDERS_URL }).filter(([, url]) => url !== undefined),
    ) as Record<string, string>,
    jwt: { jwksUrl: raw.JWKS_URL, issuer: raw.JWT_ISSUER, audience: raw.JWT_AUDIENCE },
    subgraphTimeoutMs: raw.SUBGRAPH_TIMEOUT_MS,
    /** Identical subgraph queries in flight (same token) share one call; mutations never do. */
    subgraphDeduplication: raw.SUBGRAPH_DEDUPLICATION,
    /** CORS: `*` lets any origin read answers but never with credentials; a list also allows credentials (cookies). */
    corsOrigins,
    /** The browser session's refresh-token cookie (README, Sessions). */
    sessionCookie: {
      name: 'fedshop_refresh',
      path: '/graphql',
      secure: raw.SESSION_COOKIE_SECURE,
      allowedOrigins: corsOrigins === '*' ? [] : corsOrigins,
    },
    /** Introspection and the Sandbox landing page: on in development, off in production unless asked. */
    introspection: raw.INTROSPECTION ? raw.INTROSPECTION === 'true' : !production,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    /** Apollo Gateway's own usage reporting to Apollo's servers (off unless APOLLO_TELEMETRY_DISABLED=false). */
    apolloUsageReporting: !raw.APOLLO_TELEMETRY_DISABLED,
    /** Rate limits, operation limits, persisted queries (README, Security). */
    edge: edgeConfig(raw, production),
  };
}
