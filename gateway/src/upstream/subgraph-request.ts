import { startHttpClientSpan } from '@fedshop/shared/telemetry';
import { Agent, request } from './undici-core';

/**
 * One keep-alive connection pool for all subgraph calls. Idle sockets are dropped after 4 s,
 * before the subgraphs' own 65 s keep-alive ends, so a request never lands on a socket the
 * other side is closing (the ECONNRESETs of apollographql/federation#2313).
 */
export function createSubgraphAgent(): Agent {
  return new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, connections: 128 });
}

/** One POST to a subgraph, exactly as it goes on the wire. */
export interface SubgraphRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A subgraph's answer, read to its end and not parsed: callers that share one request each
 * parse their own copy, since Apollo Gateway merges what it receives into its result objects.
 */
export interface SubgraphAnswer {
  status: number;
  /** As Node reads them: lower-case names, repeated ones as arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** When the request was sent, ms since the epoch: the answer is at least this fresh (response cache). */
  sentAtMs: number;
}

/** Why a subgraph call was abandoned at its deadline (the `cause` of the SERVICE_UNAVAILABLE error). */
export class SubgraphTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

/**
 * Sends one request with undici's `request` (plain Node streams, none of `fetch`'s WHATWG
 * machinery) and reads the whole answer. `timeoutMs` bounds the call from sending to the last
 * byte of the body: one timer, cleared as soon as the body is read, where `AbortSignal.timeout`
 * would leave a timer to fire (and a DOMException to build) after every call. Rejects with the
 * transport's error (refused, reset, closed early) or a {@link SubgraphTimeoutError}; any HTTP
 * status resolves. Each call is an HTTP client span whose `traceparent` the subgraph continues;
 * a call shared by identical requests (in-flight deduplication) belongs to the first of them.
 */
export async function sendSubgraphRequest(call: SubgraphRequest, options: { agent: Agent; timeoutMs: number }): Promise<SubgraphAnswer> {
  const sentAtMs = Date.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new SubgraphTimeoutError(options.timeoutMs)), options.timeoutMs);
  const span = startHttpClientSpan('POST', call.url, call.headers);
  try {
    const response = await request(call.url, {
      method: 'POST',
      headers: span.headers,
      body: call.body,
      dispatcher: options.agent,
      signal: deadline.signal,
    });
    const answer = { status: response.statusCode, headers: response.headers, body: await response.body.text(), sentAtMs };
    span.end({ status: answer.status });
    return answer;
  } catch (error) {
    span.end({ error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
