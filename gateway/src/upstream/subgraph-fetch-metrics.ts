import { LATENCY_BUCKETS } from '@fedshop/shared/metrics';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What one subgraph fetch came to, as the `result` label has it. */
export type SubgraphFetchResult = 'success' | 'graphql_error' | 'unavailable' | 'error';

/** The gateway's series about its subgraph fetches; `subgraph` is a name from the supergraph. */
export interface SubgraphFetchMetrics {
  /**
   * RED per subgraph: `gateway_subgraph_request_duration_seconds{subgraph,result}`, one
   * observation per fetch of a query plan, whether it called the subgraph or joined an
   * identical call in flight (then its duration is its wait). `result`: `success`,
   * `graphql_error` (the subgraph answered with errors, partial data included), `unavailable`
   * (unreachable or over SUBGRAPH_TIMEOUT_MS) or `error` (any other failure, e.g. a non-2xx answer).
   */
  durations: Histogram<'subgraph' | 'result'>;
  /**
   * `gateway_subgraph_fetch_deduplicated_total{subgraph}`: fetches that joined an identical
   * query in flight instead of calling the subgraph (SUBGRAPH_DEDUPLICATION). Calls actually
   * sent = the histogram's count minus this.
   */
  deduplicated: Counter<'subgraph'>;
}

export function createSubgraphFetchMetrics(registry: Registry): SubgraphFetchMetrics {
  return {
    durations: new Histogram({
      name: 'gateway_subgraph_request_duration_seconds',
      help: 'Subgraph fetches of the gateway, by subgraph and result (success / graphql_error / unavailable / error).',
      labelNames: ['subgraph', 'result'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    deduplicated: new Counter({
      name: 'gateway_subgraph_fetch_deduplicated_total',
      help: 'Subgraph fetches that shared an identical query already in flight instead of calling the subgraph.',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    }),
  };
}
