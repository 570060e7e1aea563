import { LATENCY_BUCKETS } from '@fedshop/shared';
import { Histogram, type Registry } from 'prom-client';

/** What one subgraph fetch came to, as the `result` label has it. */
export type SubgraphFetchResult = 'success' | 'graphql_error' | 'unavailable' | 'error';

/**
 * RED per subgraph: `gateway_subgraph_request_duration_seconds{subgraph,result}`, one
 * observation per fetch of a query plan. `result`: `success`, `graphql_error` (the subgraph
 * answered with errors, partial data included), `unavailable` (unreachable or over
 * SUBGRAPH_TIMEOUT_MS) or `error` (any other failure, e.g. a non-2xx answer).
 */
export function createSubgraphFetchMetrics(registry: Registry): Histogram<'subgraph' | 'result'> {
  return new Histogram({
    name: 'gateway_subgraph_request_duration_seconds',
    help: 'Subgraph fetches of the gateway, by subgraph and result (success / graphql_error / unavailable / error).',
    labelNames: ['subgraph', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
}
