import { Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './graphql-metrics';

/** Breaker states as gauge values: what a dashboard can threshold on. */
export const BREAKER_STATE_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** gRPC between the subgraphs, both ends (shared/src/grpc adds the interceptors). */
export interface GrpcMetrics {
  /** Calls made, per attempt (a retried read counts each attempt), by method and status code name. */
  clientDuration: Histogram<'method' | 'status'>;
  /** Calls served, by method and status code name. */
  serverDuration: Histogram<'method' | 'status'>;
  /** Circuit breaker per downstream service: 0 closed, 1 half-open, 2 open. */
  breakerState: Gauge<'downstream'>;
}

export function createGrpcMetrics(registry: Registry): GrpcMetrics {
  return {
    clientDuration: new Histogram({
      name: 'grpc_client_call_duration_seconds',
      help: 'gRPC calls made (each attempt), by method (package.Service/Method) and status code name.',
      labelNames: ['method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    serverDuration: new Histogram({
      name: 'grpc_server_call_duration_seconds',
      help: 'gRPC calls served, by method (package.Service/Method) and status code name.',
      labelNames: ['method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'grpc_client_breaker_state',
      help: 'Circuit breaker per downstream service: 0 closed, 1 half-open, 2 open.',
      labelNames: ['downstream'] as const,
      registers: [registry],
    }),
  };
}
