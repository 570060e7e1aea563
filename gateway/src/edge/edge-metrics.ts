import { Counter, type Registry } from 'prom-client';

/** What the edge counts, registered on the gateway's own registry (served at /metrics). */
export interface EdgeMetrics {
  /** Requests answered 429, by bucket (`anonymous`, `user`, `auth_address`, `auth_email`). */
  rateLimited: Counter<'bucket'>;
  /** Rate-limit checks the store could not answer (Redis down or slow), by what was done (`allowed` or `refused`). */
  rateLimitStoreFailures: Counter<'outcome'>;
  /** Operations refused before planning, by code (OPERATION_TOO_DEEP, PERSISTED_QUERY_NOT_IN_LIST...). */
  rejectedOperations: Counter<'code'>;
}

export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  return {
    rateLimited: new Counter({
      name: 'gateway_rate_limited_requests_total',
      help: 'Requests refused with 429, by bucket.',
      labelNames: ['bucket'] as const,
      registers: [registry],
    }),
    rateLimitStoreFailures: new Counter({
      name: 'gateway_rate_limit_store_failures_total',
      help: 'Rate-limit checks the bucket store could not answer, by outcome (allowed = fail-open, refused = fail-closed).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rejectedOperations: new Counter({
      name: 'gateway_rejected_operations_total',
      help: 'Operations refused before planning, by error code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  };
}
