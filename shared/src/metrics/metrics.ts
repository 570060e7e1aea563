import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createGraphQLMetrics, LATENCY_BUCKETS, type GraphQLMetrics } from './graphql-metrics';
import { createGrpcMetrics, type GrpcMetrics } from './grpc-metrics';

/**
 * A service's Prometheus registry. Each service owns one (no global registry), so tests can
 * run several services in one process and read each one's numbers apart.
 */
export interface ServiceMetrics {
  registry: Registry;
  /**
   * Every SQL statement sent to PostgreSQL (BEGIN/COMMIT included), by origin: `request` when
   * sent while serving a request, `background` otherwise (relays, health probes).
   */
  dbStatements: Counter<'origin'>;
  /** HTTP requests by route and status. */
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** TCP connections accepted by the HTTP server (low numbers under load mean keep-alive works). */
  httpConnections: Counter;
  /** HTTP requests being served right now. */
  httpInFlight: Gauge;
  /** Rate, errors and duration per GraphQL operation. */
  graphql: GraphQLMetrics;
  /** gRPC calls made and served, and the breaker per downstream. */
  grpc: GrpcMetrics;
}

/**
 * Everything a service measures, on its own registry: process and event-loop metrics
 * (prom-client's defaults), HTTP, GraphQL operations, gRPC and SQL statements. The database
 * pool (`observePool`) and service-specific metrics register on the same registry.
 */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    dbStatements: new Counter({
      name: 'db_client_statements_total',
      help: 'SQL statements sent to the database, by origin (request / background).',
      labelNames: ['origin'] as const,
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP request duration by route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    httpConnections: new Counter({
      name: 'http_server_connections_total',
      help: 'TCP connections accepted by the HTTP server.',
      registers: [registry],
    }),
    httpInFlight: new Gauge({
      name: 'http_server_requests_in_flight',
      help: 'HTTP requests being served right now.',
      registers: [registry],
    }),
    graphql: createGraphQLMetrics(registry),
    grpc: createGrpcMetrics(registry),
  };
}

/** The `GET /metrics` handler. */
export async function serveMetrics(metrics: ServiceMetrics, res: ServerResponse): Promise<void> {
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType });
  res.end(body);
}
