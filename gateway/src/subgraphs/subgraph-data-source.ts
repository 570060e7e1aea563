import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { AppError, serviceUnavailable, REQUEST_ID_HEADER } from '@fedshop/shared';
import { getOperationAST, Lexer, OperationTypeNode, parse, Source, TokenKind } from 'graphql';
import type { Agent } from 'undici';
import type { GatewayContext } from '../gateway-context';
import { InFlightDeduplicator } from './in-flight-deduplicator';
import type { SubgraphFetchMetrics, SubgraphFetchResult } from './subgraph-fetch-metrics';
import { sendSubgraphRequest, type SubgraphAnswer } from './subgraph-request';
import { SubgraphResponse, type FetcherResponse } from './subgraph-response';

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  /** The keep-alive pool subgraph calls go through (createSubgraphAgent). */
  agent: Agent;
  /** Deadline of one subgraph call, answer read to its end; past it the call is abandoned: partial data and an error. */
  timeoutMs: number;
  /**
   * While a query is in flight, an identical one (same URL, body and headers, the caller's
   * `Authorization` among them; the request id aside) waits for its answer instead of calling
   * the subgraph again. Mutations are never shared. Default: true (SUBGRAPH_DEDUPLICATION).
   */
  deduplication?: boolean;
  /** Where each fetch's duration and result are recorded (subgraph-fetch-metrics.ts). */
  metrics?: SubgraphFetchMetrics;
}

/**
 * Calls one subgraph: forwards the caller's token (each subgraph verifies it again) and
 * request id, reuses pooled connections, shares identical queries in flight, and turns network
 * failures and timeouts into SERVICE_UNAVAILABLE for the affected part of the response. Each
 * fetch is measured per subgraph; its client span and `traceparent` come from the undici
 * instrumentation (a fetch that joined another has none of its own: one call, one span).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /**
   * The type of the operation being sent, from `process` down to the fetcher, which only sees
   * URL, headers and body (Apollo Gateway's `sendRequest` in between is private).
   */
  private readonly operationType = new AsyncLocalStorage<OperationTypeNode | undefined>();
  private readonly inFlight = new InFlightDeduplicator<SubgraphAnswer>();

  constructor(private readonly options: SubgraphDataSourceOptions) {
    super({ url: options.url });
    // RemoteGraphQLDataSource always sends a JSON string body and plain-object headers.
    this.fetcher = (url, init) => this.send(url, init?.headers ?? {}, String(init?.body ?? ''));
  }

  override async process(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
  ): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const started = performance.now();
    let result: SubgraphFetchResult = 'error';
    try {
      const response = await this.operationType.run(operationTypeOf(options.request), () => super.process(options));
      result = response.errors?.length ? 'graphql_error' : 'success';
      return response;
    } catch (error) {
      if (error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE') result = 'unavailable';
      throw error;
    } finally {
      this.options.metrics?.durations.observe({ subgraph: this.options.name, result }, (performance.now() - started) / 1000);
    }
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !context) return;
    if ('token' in context && context.token) headers.set('authorization', `Bearer ${context.token}`);
    if ('requestId' in context && context.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
  }

  /** The fetcher: one HTTP call (or a share of one), answered with this caller's own Response. */
  private async send(url: string, headers: Record<string, string>, body: string): Promise<FetcherResponse> {
    const call = () => sendSubgraphRequest({ url, headers, body }, this.options);
    let answer: SubgraphAnswer;
    try {
      if (this.options.deduplication !== false && this.operationType.getStore() === OperationTypeNode.QUERY) {
        const { result, joined } = this.inFlight.run(deduplicationKey(url, headers, body), call);
        if (joined) this.options.metrics?.deduplicated.inc({ subgraph: this.options.name });
        answer = await result;
      } else {
        answer = await call();
      }
    } catch (error) {
      // Each caller gets its own error: they are not meant to be shared between responses.
      throw serviceUnavailable(`The ${this.options.name} service is unavailable, try again shortly.`, { cause: error });
    }
    return new SubgraphResponse(url, answer);
  }
}

/** Everything that can change a subgraph's answer; the request id only names the call. */
function deduplicationKey(url: string, headers: Record<string, string>, body: string): string {
  let key = url;
  for (const name of Object.keys(headers).sort()) {
    if (name.toLowerCase() !== REQUEST_ID_HEADER) key += `\n${name.toLowerCase()}: ${headers[name]}`;
  }
  return `${key}\n\n${body}`;
}

const OPERATION_TYPES = new Set<string>(Object.values(OperationTypeNode));

/**
 * The type of the operation sent to the subgraph, read from its text: the query planner prints
 * the operation first (fragments after it), so its first token says (`{` is a query). Anything
 * else is parsed; what cannot be parsed has no type, and is never shared.
 */
export function operationTypeOf(request: { query?: string; operationName?: string }): OperationTypeNode | undefined {
  if (!request.query) return undefined;
  try {
    const first = new Lexer(new Source(request.query)).advance();
    if (first.kind === TokenKind.BRACE_L) return OperationTypeNode.QUERY;
    if (first.kind === TokenKind.NAME && OPERATION_TYPES.has(first.value)) return first.value as OperationTypeNode;
    return getOperationAST(parse(request.query), request.operationName)?.operation;
  } catch {
    return undefined;
  }
}
