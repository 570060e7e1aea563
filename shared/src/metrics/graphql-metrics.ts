import { Counter, Histogram, type Registry } from 'prom-client';
import { boundedLabel, type BoundedLabel } from './bounded-label';

/** Seconds; the same buckets as HTTP requests so the two read side by side. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** RED per GraphQL operation, recorded by the GraphQL telemetry plugin on every service. */
export interface GraphQLMetrics {
  /**
   * Operations by name (`anonymous` when unnamed, `other` past 100 distinct names), type
   * (`query`/`mutation`/`subscription`, `unknown` when the document never resolved to one) and
   * result (`success`, or `error` when the response carries any error, partial data included).
   */
  operationDuration: Histogram<'operation' | 'type' | 'result'>;
  /** Errors in responses, by operation and `extensions.code` (bounded likewise). */
  operationErrors: Counter<'operation' | 'code'>;
  /** Maps a resolved operation name to its label value. */
  operationLabel: BoundedLabel;
  /** Maps an error code to its label value. */
  codeLabel: BoundedLabel;
}

export function createGraphQLMetrics(registry: Registry): GraphQLMetrics {
  return {
    operationDuration: new Histogram({
      name: 'graphql_server_operation_duration_seconds',
      help: 'GraphQL operations served, by operation name, type and result (success / error).',
      labelNames: ['operation', 'type', 'result'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    operationErrors: new Counter({
      name: 'graphql_server_operation_errors_total',
      help: 'Errors in GraphQL responses, by operation name and error code.',
      labelNames: ['operation', 'code'] as const,
      registers: [registry],
    }),
    operationLabel: boundedLabel(),
    codeLabel: boundedLabel({ max: 50, overflow: 'OTHER', pattern: /^[A-Z][A-Z0-9_]{0,63}$/ }),
  };
}
