import path from 'node:path';
import { z } from 'zod';
import { env, parseEnv, serviceEnvDescriptions, shutdownEnvDescriptions, shutdownEnvSchema } from '@fedshop/shared/config';
import { telemetryEnvDescriptions, telemetryEnvSchema, telemetrySettings } from '@fedshop/shared/telemetry';
import { edgeConfig, edgeEnvDescriptions, edgeEnvSchema } from './edge/edge-config';
import { responseCacheConfig, responseCacheEnvDescriptions, responseCacheEnvSchema } from './response-cache/response-cache-config';

const REPO_ROOT = path.resolve(__dirname, '../..');

const schema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  /** Log lines are written in batches of at least this many bytes (or every 250 ms); 0: line by line. */
  LOG_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 * 1024)
    .default(4096),
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
  SUBSCRIPTIONS_PER_USER: env.positiveInt(10),
  WS_CONNECTIONS_PER_IP: env.positiveInt(50),
  SUBSCRIPTION_BUFFER: env.positiveInt(64),
  SUBSCRIPTION_KEEPALIVE_MS: env.positiveInt(12_000),
  SUBSCRIPTION_DEDUPLICATION: env.boolean(true),
  ...shutdownEnvSchema,
  ...telemetryEnvSchema,
  ...edgeEnvSchema,
  ...responseCacheEnvSchema,
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
    log: { level: raw.LOG_LEVEL, pretty: raw.LOG_PRETTY && raw.NODE_ENV !== 'production', batchBytes: raw.LOG_BATCH_BYTES },
    /** OTLP export and sampling of traces (OTEL_* variables; docs/observability.md). */
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
    /** The browser session's refresh-token cookie (docs/security.md, Sessions). */
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
    /** Subscriptions' caps and buffer (README, Subscriptions; docs/security.md). */
    subscriptions: {
      /** Concurrent subscriptions per account (anonymous: per client address), per replica. */
      perCaller: raw.SUBSCRIPTIONS_PER_USER,
      /** Concurrent WebSocket connections and SSE streams per client address, per replica. */
      connectionsPerAddress: raw.WS_CONNECTIONS_PER_IP,
      /** Events a subscriber may have waiting before it is disconnected as too slow. */
      buffer: raw.SUBSCRIPTION_BUFFER,
      /** Ping interval to clients (WebSocket ping, SSE comment); a WebSocket client that misses a pong is dropped. */
      keepAliveMs: raw.SUBSCRIPTION_KEEPALIVE_MS,
      /** Identical subscriptions of one caller (same token, document, variables) share one upstream subscription. */
      deduplication: raw.SUBSCRIPTION_DEDUPLICATION,
    },
    /** Rate limits, operation limits, persisted queries (docs/security.md). */
    edge: edgeConfig(raw, production),
    /** Whole-response cache by the subgraphs' cache hints, purged on writes (README, Response cache). */
    responseCache: responseCacheConfig(raw),
  };
}

/**
 * The variables the gateway reads and what each means: docs/configuration.md is generated from
 * these (`npm run docs:config`), and a test fails when the two disagree.
 */
export const envSchema = schema;
export const envDescriptions = {
  NODE_ENV: serviceEnvDescriptions.NODE_ENV,
  LOG_LEVEL: serviceEnvDescriptions.LOG_LEVEL,
  LOG_PRETTY: serviceEnvDescriptions.LOG_PRETTY,
  LOG_BATCH_BYTES: 'Log lines are written in batches of at least this many bytes (or every 250 ms, and at exit); 0 writes line by line.',
  HOST: serviceEnvDescriptions.HOST,
  PORT: serviceEnvDescriptions.PORT,
  SUPERGRAPH_PATH: 'The composed supergraph the gateway serves (no runtime introspection of the subgraphs).',
  SUPERGRAPH_POLL_MS:
    'How often the supergraph file is checked for a new version, in milliseconds (0: never). A version that does not load is rejected while the previous one keeps serving.',
  USERS_URL:
    "Routing URL of the users subgraph, replacing the supergraph's (for deployments where addresses differ). Unset: the supergraph's.",
  ORDERS_URL: "Routing URL of the orders subgraph, replacing the supergraph's. Unset: the supergraph's.",
  JWKS_URL: serviceEnvDescriptions.JWKS_URL,
  JWT_ISSUER: serviceEnvDescriptions.JWT_ISSUER,
  JWT_AUDIENCE: serviceEnvDescriptions.JWT_AUDIENCE,
  SUBGRAPH_TIMEOUT_MS:
    'Deadline of one subgraph call, answer read to its end, in milliseconds; past it that part of the response is partial data plus `SERVICE_UNAVAILABLE`.',
  SUBGRAPH_DEDUPLICATION:
    'While a subgraph query is in flight, an identical one (same subgraph, body and token) waits for its answer instead of calling again; mutations never do.',
  CORS_ORIGINS:
    'Comma-separated origins allowed by CORS, or `*`. Listed origins also get credentials (the session cookie); `*` never does. Unset: `*` in development, none in production.',
  SESSION_COOKIE_SECURE:
    "The refresh-token cookie's `Secure` attribute: `auto` sets it unless the request's Host is localhost or loopback.",
  INTROSPECTION: 'Introspection and the Apollo Sandbox landing page. Unset: on in development, off in production.',
  MAX_BODY_BYTES: 'Largest request body in bytes; a larger one gets 413 `PAYLOAD_TOO_LARGE` without being read.',
  APOLLO_TELEMETRY_DISABLED: "Keeps Apollo Gateway's anonymous usage reporting to Apollo off; `false` allows it.",
  SUBSCRIPTIONS_PER_USER:
    'Concurrent subscriptions per account (anonymous callers: per client address), per gateway replica; one more is refused with SUBSCRIPTION_LIMIT.',
  WS_CONNECTIONS_PER_IP: 'Concurrent WebSocket connections and SSE streams per client address, per gateway replica.',
  SUBSCRIPTION_BUFFER: 'Events one subscriber may have waiting; a client that falls further behind is disconnected as too slow.',
  SUBSCRIPTION_KEEPALIVE_MS: 'Ping interval to subscription clients (WebSocket ping, SSE comment), in milliseconds.',
  SUBSCRIPTION_DEDUPLICATION:
    'Identical subscriptions of one caller (same token, document, operation name and variables) share one subgraph subscription and one execution of the rest of the plan per event, each client keeping its own buffer, caps and end; `false`: one upstream subscription per client subscription.',
  ...shutdownEnvDescriptions,
  ...telemetryEnvDescriptions,
  ...edgeEnvDescriptions,
  ...responseCacheEnvDescriptions,
} satisfies Record<keyof typeof schema.shape, string>;
