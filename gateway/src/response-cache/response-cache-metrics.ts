import { boundedLabel, type BoundedLabel } from '@fedshop/shared/metrics';
import { Counter, type Registry } from 'prom-client';

/** What the response cache counts, on the gateway's registry (served at /metrics). */
export interface ResponseCacheMetrics {
  /** Queries answered from the cache, by operation. */
  hits: Counter<'operation'>;
  /** Queries the cache was asked for and did not have, by operation. */
  misses: Counter<'operation'>;
  /** Responses written, by operation. */
  writes: Counter<'operation'>;
  /** Bytes written (entries with their tags), by operation. */
  bytesWritten: Counter<'operation'>;
  /** Entries not written or not served, by operation and reason (oversized, malformed, purged_while_fetching, no_tags). */
  refused: Counter<'operation' | 'reason'>;
  /** Tags purged, by source (mutation: the replica that executed it; broadcast: a peer that did; event: the outbox's event). */
  purges: Counter<'source'>;
  /** Entries deleted by purges, by source. */
  purgedEntries: Counter<'source'>;
  /** Store operations that failed (Redis down or slow): served uncached. */
  storeErrors: Counter;
  /** Operation names as labels: the first 100 well-formed ones, the rest `other`. */
  operationLabel: BoundedLabel;
}

export function createResponseCacheMetrics(registry: Registry): ResponseCacheMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    hits: counter('gateway_response_cache_hits_total', 'Queries answered from the response cache, by operation.', ['operation']),
    misses: counter('gateway_response_cache_misses_total', 'Queries the response cache did not have, by operation.', ['operation']),
    writes: counter('gateway_response_cache_writes_total', 'Responses written to the response cache, by operation.', ['operation']),
    bytesWritten: counter('gateway_response_cache_written_bytes_total', 'Bytes written to the response cache, by operation.', [
      'operation',
    ]),
    refused: counter(
      'gateway_response_cache_refused_total',
      'Entries not written or not served: oversized, malformed (poisoned), purged while fetching, or without tags.',
      ['operation', 'reason'],
    ),
    purges: counter(
      'gateway_response_cache_purged_tags_total',
      'Cache tags purged, by source (mutation, broadcast from a peer, or event).',
      ['source'],
    ),
    purgedEntries: counter('gateway_response_cache_purged_entries_total', 'Cached responses deleted by purges, by source.', ['source']),
    storeErrors: new Counter({
      name: 'gateway_response_cache_store_errors_total',
      help: 'Response cache store operations that failed (served uncached).',
      registers: [registry],
    }),
    operationLabel: boundedLabel(),
  };
}
