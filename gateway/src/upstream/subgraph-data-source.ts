import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { AppError, serviceUnavailable } from '@fedshop/shared/errors';
import { REQUEST_ID_HEADER } from '@fedshop/shared/http';
import { getOperationAST, Lexer, OperationTypeNode, parse, Source, TokenKind } from 'graphql';
import type { Agent } from './undici-core';
import type { GatewayContext } from '../gateway-context';
import { cacheStateOf, collectCacheTags } from '../response-cache/response-cache';
import { sessionChangeOf, sessionRequestHeaders } from '../session/session-forwarding';
import { CACHE_TAGS_EXTENSION, CACHE_TAGS_REQUEST_HEADER } from '@fedshop/shared/subgraph/cache-tags';
import { InFlightDeduplicator } from './in-flight-deduplicator';
import type { SubgraphFetchMetrics, SubgraphFetchResult } from './subgraph-fetch-metrics';
import { sendSubgraphRequest, type SubgraphAnswer } from './subgraph-request';
import { readSubgraphAnswer, type SubgraphGraphQLResponse } from './subgraph-response';

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
 * request id (and, to the session mutations only, the refresh token of the session cookie,
 * taking the session's next one from the answer: session/), reuses pooled connections, shares identical queries in flight, and turns network
 * failures, timeouts and a load balancer's 502/503/504 into SERVICE_UNAVAILABLE for the affected part of the response. Each
 * fetch is measured per subgraph; its client span and `traceparent` come from the undici
 * instrumentation (a fetch that joined another has none of its own: one call, one span).
 *
 * Apollo Gateway's RemoteGraphQLDataSource does the same with a WHATWG-fetch shape: per call a
 * node-fetch `Headers`, a node-fetch `Request` (parsing the URL again) kept only for error
 * hooks, and a Response view; together ~4 % of our gateway's CPU under load (profile in
 * BENCHMARKS.md). This one sends plain objects and answers what the executor reads, with
 * RemoteGraphQLDataSource's behaviour: its request body, its errors, its cache-control handling.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly inFlight = new InFlightDeduplicator<SubgraphAnswer>();

  constructor(private readonly options: SubgraphDataSourceOptions) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphGraphQLResponse> {
    const started = performance.now();
    let result: SubgraphFetchResult = 'error';
    try {
      const response = await this.fetch(options);
      result = response.errors?.length ? 'graphql_error' : 'success';
      return response;
    } catch (error) {
      if (error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE') result = 'unavailable';
      throw error;
    } finally {
      this.options.metrics?.durations.observe({ subgraph: this.options.name, result }, (performance.now() - started) / 1000);
    }
  }

  private async fetch(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphGraphQLResponse> {
    const { request } = options;
    // Only an incoming operation carries a caller (health checks and schema loads have none).
    const context = options.kind === 'incoming operation' ? options.context : undefined;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    // Headers the executor adds (Apollo's federated tracing asks with one), if any.
    if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    if (context?.token) headers.authorization = `Bearer ${context.token}`;
    if (context?.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    // The response cache is on for this request: the answer names the entities it shows.
    const cacheState = cacheStateOf(context);
    if (cacheState) headers[CACHE_TAGS_REQUEST_HEADER] = '1';
    const type = operationTypeOf(request);
    const session = options.kind === 'incoming operation' ? options.context.session : undefined;
    if (session && options.kind === 'incoming operation') {
      Object.assign(
        headers,
        sessionRequestHeaders(options.incomingRequestContext.operation, type === OperationTypeNode.MUTATION, session.refreshToken),
      );
    }
    const { http: _http, ...body } = request;
    const { url } = this.options;
    const answer = await this.send(url, headers, JSON.stringify(body), type === OperationTypeNode.QUERY);
    if (UNAVAILABLE_STATUSES.has(answer.status)) {
      // A load balancer in front of the subgraph's replicas says it has none to give (502: the
      // replica died mid-request; 503: none healthy; 504: none answered in time). Retryable, as a
      // refused connection is: not an unknown failure to mask.
      throw serviceUnavailable(`The ${this.options.name} service is unavailable, try again shortly.`, {
        cause: new Error(`${url} answered HTTP ${answer.status}`),
      });
    }
    const response = readSubgraphAnswer(url, answer);
    if (cacheState) collectCacheTags(cacheState, response, answer.sentAtMs, CACHE_TAGS_EXTENSION);
    // Sessions start, rotate and end in mutations only (users subgraph: signUp, signIn, refreshSession, signOut).
    if (session && type === OperationTypeNode.MUTATION) session.change = sessionChangeOf(response.http!.headers) ?? session.change;
    if (options.kind === 'incoming operation') {
      // @apollo/server-gateway-interface types the policy `any`; Apollo Server 5 passes its
      // CachePolicy, whose restrict() is all this reads.
      restrictCachePolicy(options.incomingRequestContext.overallCachePolicy as NarrowableCachePolicy | undefined, response);
    }
    return response;
  }

  /** One HTTP call, or a share of one when `shareable` and an identical call is under way. */
  private async send(url: string, headers: Record<string, string>, body: string, shareable: boolean): Promise<SubgraphAnswer> {
    const call = () => sendSubgraphRequest({ url, headers, body }, this.options);
    try {
      if (this.options.deduplication !== false && shareable) {
        const { result, joined } = this.inFlight.run(deduplicationKey(url, headers, body), call);
        if (joined) this.options.metrics?.deduplicated.inc({ subgraph: this.options.name });
        return await result;
      }
      return await call();
    } catch (error) {
      // Each caller gets its own error: they are not meant to be shared between responses.
      throw serviceUnavailable(`The ${this.options.name} service is unavailable, try again shortly.`, { cause: error });
    }
  }
}

/** Statuses with which a proxy (or the subgraph) says the service cannot answer now. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/** What a subgraph's answer may do to Apollo Server's cache policy of the whole response: narrow it. */
interface NarrowableCachePolicy {
  restrict(hint: { maxAge?: number; scope?: 'PRIVATE' | 'PUBLIC' }): void;
}

/**
 * The subgraph's `Cache-Control` narrows the response's cache policy, as Apollo's data source
 * does: no header (or no numeric max-age) means not cacheable, `private` and `public` set the
 * scope. Only when the server tracks a policy (Apollo Server's cache-control plugin).
 */
function restrictCachePolicy(policy: NarrowableCachePolicy | undefined, response: SubgraphGraphQLResponse): void {
  if (!policy) return;
  const hint: { maxAge: number; scope?: 'PRIVATE' | 'PUBLIC' } = { maxAge: 0 };
  for (const part of (response.http?.headers.get('cache-control') ?? '').trim().split(/\s*,\s*/)) {
    const [key, quoted] = part.split(/\s*=\s*/, 2);
    const value = quoted?.replace(/^"|"$/g, '');
    if (key === 'max-age' && value !== undefined && /^[0-9]+$/.test(value)) hint.maxAge = Number(value);
    if (key === 'private' && value === undefined) hint.scope = 'PRIVATE';
    if (key === 'public' && value === undefined) hint.scope = 'PUBLIC';
  }
  policy.restrict(hint);
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
