import { STATUS_CODES } from 'node:http';
import type { GraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { SubgraphAnswer } from './subgraph-request';

/** What a data source hands Apollo Gateway's executor for one fetch. */
export type SubgraphGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
type AnswerHeadersShape = NonNullable<SubgraphGraphQLResponse['http']>['headers'];

/**
 * A subgraph's answer as the executor reads it: the parsed body (`data`, `errors`,
 * `extensions`) and the HTTP status and headers. Parsed per caller: callers that shared one
 * request each get their own objects, since Apollo Gateway merges them into its results.
 * Failures are those of Apollo's RemoteGraphQLDataSource, word for word: a non-2xx status is a
 * `<status>: <status text>` GraphQLError carrying the answer (401 UNAUTHENTICATED, 403
 * FORBIDDEN), a body that is not a JSON object an error naming what came instead.
 */
export function readSubgraphAnswer(url: string, answer: SubgraphAnswer): SubgraphGraphQLResponse {
  const headers = new AnswerHeaders(answer.headers);
  const body = parseBody(headers, answer.body);
  if (answer.status < 200 || answer.status >= 300) {
    const statusText = STATUS_CODES[answer.status] ?? '';
    const code = answer.status === 401 ? 'UNAUTHENTICATED' : answer.status === 403 ? 'FORBIDDEN' : undefined;
    throw new GraphQLError(`${answer.status}: ${statusText}`, {
      extensions: { response: { url, status: answer.status, statusText, body }, ...(code ? { code } : {}) },
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error(`Expected JSON response body, but received: ${String(body)}`);
  }
  return { ...(body as Omit<SubgraphGraphQLResponse, 'http'>), http: { status: answer.status, headers } };
}

/** JSON when the answer says it is (as Apollo's data source decides), its text otherwise. */
function parseBody(headers: AnswerHeaders, text: string): unknown {
  const type = headers.get('content-type');
  if (type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'))) return JSON.parse(text);
  return text;
}

/** Response headers, read-only, over Node's parsed ones (lower-case names, repeats as arrays). */
class AnswerHeaders implements AnswerHeadersShape {
  constructor(private readonly raw: SubgraphAnswer['headers']) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw).sort()) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  append(): void {
    throw new TypeError('immutable');
  }

  set(): void {
    throw new TypeError('immutable');
  }

  delete(): void {
    throw new TypeError('immutable');
  }
}
