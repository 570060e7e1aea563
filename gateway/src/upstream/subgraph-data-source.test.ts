import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { AppError } from '@fedshop/shared/errors';
import { Registry } from 'prom-client';
import type { Agent } from './undici-core';
import type { GatewayContext } from '../gateway-context';
import { operationTypeOf, SubgraphDataSource, type SubgraphDataSourceOptions } from './subgraph-data-source';
import { createSubgraphFetchMetrics, type SubgraphFetchMetrics } from './subgraph-fetch-metrics';
import { createSubgraphAgent, SubgraphTimeoutError } from './subgraph-request';

const QUERY = 'query Items__orders__0($first:Int){items(first:$first){id tags}}';
const MUTATION = 'mutation PlaceOrder__orders__0($sku:String!){placeOrder(sku:$sku){id}}';
const CONCURRENT = 5;

interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server standing in for a subgraph: counts what it receives, answers as told. */
interface Upstream {
  url: string;
  received: ReceivedRequest[];
  /** Resolves once `count` requests have arrived in all. */
  arrival(count: number): Promise<void>;
  close(): Promise<void>;
}

type Answer = (res: ServerResponse, request: ReceivedRequest) => void | Promise<void>;

/** Answers `{ data: { items } }`, naming the caller's token and the request's variables. */
const ECHO = (res: ServerResponse, request: ReceivedRequest): void => {
  const { variables } = JSON.parse(request.body) as { variables?: unknown };
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({ data: { items: [{ id: 'item-1', tags: ['a'] }], authorization: request.headers.authorization ?? null, variables } }),
  );
};

async function startUpstream(answer: Answer = ECHO): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(request);
      for (const waiter of waiting.filter((candidate) => candidate.count <= received.length)) waiter.resolve();
      void answer(res, request);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    received,
    arrival: (count) => (count <= received.length ? Promise.resolve() : new Promise((resolve) => waiting.push({ count, resolve }))),
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

type IncomingOperationFetch = Extract<GraphQLDataSourceProcessOptions<GatewayContext>, { incomingRequestContext: unknown }>;
// @apollo/gateway declares the enum but does not export its value.
const INCOMING_OPERATION = 'incoming operation' as IncomingOperationFetch['kind'];

/** What Apollo Gateway's executor hands a data source for one fetch of a query plan. */
function fetchOf(
  query: string,
  { token = null, variables = { first: 1 } }: { token?: string | null; variables?: Record<string, unknown> } = {},
): IncomingOperationFetch {
  const context: GatewayContext = { requestId: randomUUID(), token, viewer: null, clientAddress: '127.0.0.1', rateLimit: null };
  return {
    kind: INCOMING_OPERATION,
    request: { query, variables, operationName: /^\w+ (\w+)/.exec(query)?.[1] },
    incomingRequestContext: incomingRequestContextOf(context),
    context,
  };
}

/**
 * Apollo Server's request context as far as the data source reads it: the gateway context and,
 * when the server tracks one, the cache policy. The rest of GraphQLRequestContext (schema,
 * logger, metrics…) is never touched by the data source, so the fixture leaves it out.
 */
function incomingRequestContextOf(context: GatewayContext, overallCachePolicy?: { restrict: (hint: unknown) => void }) {
  return { context, ...(overallCachePolicy ? { overallCachePolicy } : {}) } as unknown as IncomingOperationFetch['incomingRequestContext'];
}

/** The executor's request extras as far as the data source reads them: its headers. */
function executorHttpOf(headers: Map<string, string>) {
  return { headers } as unknown as NonNullable<IncomingOperationFetch['request']['http']>;
}

let agent: Agent;
let upstream: Upstream | undefined;
let metrics: SubgraphFetchMetrics;
let registry: Registry;

beforeEach(() => {
  agent = createSubgraphAgent();
  registry = new Registry();
  metrics = createSubgraphFetchMetrics(registry);
});

afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
  await agent.close();
});

function dataSource(options: Partial<SubgraphDataSourceOptions> = {}): SubgraphDataSource {
  return new SubgraphDataSource({ name: 'orders', url: upstream!.url, agent, timeoutMs: 5_000, metrics, ...options });
}

async function deduplicated(): Promise<number> {
  return (await metrics.deduplicated.get()).values.find((value) => value.labels.subgraph === 'orders')?.value ?? 0;
}

async function fetchesObserved(result: string): Promise<number> {
  const { values } = await metrics.durations.get();
  return (
    values.find((value) => value.metricName?.endsWith('_count') && value.labels.subgraph === 'orders' && value.labels.result === result)
      ?.value ?? 0
  );
}

/** Settles every call, in order: each is its value or its error. */
function settleAll<T>(calls: Promise<T>[]): Promise<unknown[]> {
  return Promise.all(calls.map((call) => call.catch((error: unknown) => error)));
}

describe('sharing identical subgraph queries in flight', () => {
  test('when the same query with the same token is fetched concurrently, then one request goes upstream and every caller gets its own copy', async () => {
    upstream = await startUpstream();
    const orders = dataSource();

    const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => orders.process(fetchOf(QUERY, { token: 'token-a' }))));

    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]!.headers.authorization).toBe('Bearer token-a');
    for (const response of responses) {
      expect(response.data).toEqual({ items: [{ id: 'item-1', tags: ['a'] }], authorization: 'Bearer token-a', variables: { first: 1 } });
    }
    // Apollo Gateway merges entities into what it receives: no caller may see another's changes.
    (responses[0]!.data!.items as Array<{ id: string; tags: string[] }>)[0]!.tags.push('changed');
    responses[0]!.data!.authorization = 'changed';
    expect(responses.slice(1).map((response) => response.data!.items)).toEqual(
      Array.from({ length: CONCURRENT - 1 }, () => [{ id: 'item-1', tags: ['a'] }]),
    );
    expect(new Set(responses.map((response) => response.data)).size).toBe(CONCURRENT);
    expect(await deduplicated()).toBe(CONCURRENT - 1);
    // The histogram still has one observation per caller.
    expect(await fetchesObserved('success')).toBe(CONCURRENT);
  });

  test('when the tokens differ, or one caller is anonymous, then each token gets its own request and anonymous callers share only with each other', async () => {
    upstream = await startUpstream();
    const orders = dataSource();

    const responses = await Promise.all(
      [null, 'token-a', 'token-b', null, 'token-a'].map((token) => orders.process(fetchOf(QUERY, { token }))),
    );

    expect(upstream.received.map((request) => request.headers.authorization ?? 'anonymous').sort()).toEqual([
      'Bearer token-a',
      'Bearer token-b',
      'anonymous',
    ]);
    expect(responses.map((response) => response.data!.authorization)).toEqual([
      null,
      'Bearer token-a',
      'Bearer token-b',
      null,
      'Bearer token-a',
    ]);
    expect(await deduplicated()).toBe(2);
  });

  test('when the variables differ, then the queries are not shared', async () => {
    upstream = await startUpstream();
    const orders = dataSource();

    const responses = await Promise.all([1, 2].map((first) => orders.process(fetchOf(QUERY, { token: 'token-a', variables: { first } }))));

    expect(upstream.received).toHaveLength(2);
    expect(responses.map((response) => response.data!.variables)).toEqual([{ first: 1 }, { first: 2 }]);
  });

  test('when the same mutation is fetched concurrently, then every one goes upstream', async () => {
    upstream = await startUpstream();
    const orders = dataSource();

    await Promise.all(
      Array.from({ length: CONCURRENT }, () => orders.process(fetchOf(MUTATION, { token: 'token-a', variables: { sku: 'KB-001' } }))),
    );

    expect(upstream.received).toHaveLength(CONCURRENT);
    expect(await deduplicated()).toBe(0);
  });

  test('when deduplication is off, then every identical query goes upstream', async () => {
    upstream = await startUpstream();
    const orders = dataSource({ deduplication: false });

    await Promise.all(Array.from({ length: CONCURRENT }, () => orders.process(fetchOf(QUERY, { token: 'token-a' }))));

    expect(upstream.received).toHaveLength(CONCURRENT);
    expect(await deduplicated()).toBe(0);
  });

  test('when the shared call fails (socket closed), then every caller gets its own SERVICE_UNAVAILABLE and the next call goes upstream again', async () => {
    let failing = true;
    upstream = await startUpstream((res, request) => {
      if (failing) res.socket!.destroy();
      else void ECHO(res, request);
    });
    const orders = dataSource();

    const errors = await settleAll(Array.from({ length: CONCURRENT }, () => orders.process(fetchOf(QUERY, { token: 'token-a' }))));

    expect(upstream.received).toHaveLength(1);
    for (const error of errors) {
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'The orders service is unavailable, try again shortly.' });
    }
    expect(new Set(errors).size).toBe(CONCURRENT);
    expect(await fetchesObserved('unavailable')).toBe(CONCURRENT);

    failing = false;
    const next = await orders.process(fetchOf(QUERY, { token: 'token-a' }));
    expect(upstream.received).toHaveLength(2);
    expect(next.data!.authorization).toBe('Bearer token-a');
  });

  test('when the subgraph answers while a call is under way, then a caller arriving after it settled is not given the old answer', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream = await startUpstream(async (res, request) => {
      if (upstream!.received.length === 1) await held;
      ECHO(res, request);
    });
    const orders = dataSource();

    const first = orders.process(fetchOf(QUERY, { token: 'token-a' }));
    const joined = orders.process(fetchOf(QUERY, { token: 'token-a' }));
    await upstream.arrival(1);
    release();
    await Promise.all([first, joined]);
    await orders.process(fetchOf(QUERY, { token: 'token-a' }));

    expect(upstream.received).toHaveLength(2);
    expect(await deduplicated()).toBe(1);
  });
});

describe('the subgraph call', () => {
  test('when the answer is slower than the timeout, headers sent and the body trickling, then every caller gets SERVICE_UNAVAILABLE at the deadline', async () => {
    const timers: NodeJS.Timeout[] = [];
    upstream = await startUpstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
      // A byte every 50 ms: never idle, never complete; only a deadline on the whole call ends it.
      timers.push(setInterval(() => res.write(' '), 50));
    });
    const orders = dataSource({ timeoutMs: 300 });

    try {
      const started = performance.now();
      const errors = await settleAll(Array.from({ length: CONCURRENT }, () => orders.process(fetchOf(QUERY))));
      const elapsed = performance.now() - started;

      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2_000);
      expect(upstream.received).toHaveLength(1);
      for (const error of errors) {
        expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
        expect((error as Error).cause).toBeInstanceOf(SubgraphTimeoutError);
      }
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
  });

  test('when the subgraph is not listening, then the call fails at once with SERVICE_UNAVAILABLE', async () => {
    upstream = await startUpstream();
    const url = upstream.url;
    await upstream.close();
    upstream = undefined;
    const orders = new SubgraphDataSource({ name: 'orders', url, agent, timeoutMs: 5_000, metrics });

    const started = performance.now();
    await expect(orders.process(fetchOf(QUERY))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test.each([502, 503, 504])(
    'when a load balancer in front of the subgraph answers %i, then the call fails with a retryable SERVICE_UNAVAILABLE',
    async (status) => {
      upstream = await startUpstream((res) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end('<html><body><h1>No server is available to handle this request.</h1></body></html>');
      });
      const orders = dataSource();

      const error = await orders.process(fetchOf(MUTATION)).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      expect(await fetchesObserved('unavailable')).toBe(1);
    },
  );

  test('when the subgraph answers 401, then the error carries its status and body, as Apollo Gateway reports them', async () => {
    upstream = await startUpstream((res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'no' }] }));
    });
    const orders = dataSource();

    const error = await orders.process(fetchOf(QUERY)).catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      message: '401: Unauthorized',
      extensions: {
        code: 'UNAUTHENTICATED',
        response: { url: upstream.url, status: 401, statusText: 'Unauthorized', body: { errors: [{ message: 'no' }] } },
      },
    });
    expect(await fetchesObserved('error')).toBe(1);
  });

  test("when a request is sent, then it carries the token, the request id and JSON, and the answer's headers are readable", async () => {
    upstream = await startUpstream((res, request) => {
      res.setHeader('cache-control', 'max-age=0');
      ECHO(res, request);
    });
    const orders = dataSource();
    const fetch = fetchOf(QUERY, { token: 'token-a' });

    const response = await orders.process(fetch);

    expect(upstream.received[0]!.headers).toMatchObject({
      authorization: 'Bearer token-a',
      'x-request-id': fetch.context.requestId,
      'content-type': 'application/json',
    });
    expect(JSON.parse(upstream.received[0]!.body)).toEqual({ query: QUERY, variables: { first: 1 }, operationName: 'Items__orders__0' });
    expect(response.http?.headers.get('Cache-Control')).toBe('max-age=0');
  });
});

describe("what the executor is given back (as Apollo's RemoteGraphQLDataSource gives it)", () => {
  test('when the subgraph answers 500 with GraphQL errors, then the fetch fails with its status, no code, and the body', async () => {
    upstream = await startUpstream((res) => {
      res.writeHead(500, { 'content-type': 'application/graphql-response+json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: 'boom' }] }));
    });

    const error = (await dataSource()
      .process(fetchOf(QUERY))
      .catch((caught: unknown) => caught)) as { message: string; extensions: Record<string, unknown> };

    expect(error.message).toBe('500: Internal Server Error');
    expect(error.extensions.code).toBeUndefined();
    expect(error.extensions.response).toEqual({
      url: upstream.url,
      status: 500,
      statusText: 'Internal Server Error',
      body: { errors: [{ message: 'boom' }] },
    });
  });

  test('when the subgraph answers 200 with something other than a JSON object, then the fetch fails naming what came', async () => {
    upstream = await startUpstream((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('not graphql');
    });

    await expect(dataSource().process(fetchOf(QUERY))).rejects.toThrow('Expected JSON response body, but received: not graphql');
    expect(await fetchesObserved('error')).toBe(1);
  });

  test('when the subgraph answers with GraphQL errors and data, then both reach the executor and the fetch counts as a GraphQL error', async () => {
    upstream = await startUpstream((res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { items: null }, errors: [{ message: 'partly', path: ['items'] }], extensions: { cost: 1 } }));
    });

    const response = await dataSource().process(fetchOf(QUERY));

    expect(response).toMatchObject({ data: { items: null }, errors: [{ message: 'partly', path: ['items'] }], extensions: { cost: 1 } });
    expect(await fetchesObserved('graphql_error')).toBe(1);
  });

  test.each([
    ['no Cache-Control', undefined, { maxAge: 0 }],
    ['max-age=60, private', 'max-age=60, private', { maxAge: 60, scope: 'PRIVATE' }],
    ['public, max-age="30"', 'public, max-age="30"', { maxAge: 30, scope: 'PUBLIC' }],
    ['a max-age that is not a number', 'max-age=soon', { maxAge: 0 }],
  ])("when the subgraph answers with %s, then the response's cache policy is narrowed accordingly", async (_, header, hint) => {
    upstream = await startUpstream((res, request) => {
      if (header) res.setHeader('cache-control', header);
      ECHO(res, request);
    });
    const restrict = jest.fn();
    const fetch = fetchOf(QUERY);

    await dataSource().process({ ...fetch, incomingRequestContext: incomingRequestContextOf(fetch.context, { restrict }) });

    expect(restrict).toHaveBeenCalledWith(hint);
  });

  test('when the executor adds headers of its own, then they are sent along with the token', async () => {
    upstream = await startUpstream();
    const fetch = fetchOf(QUERY, { token: 'token-a' });

    await dataSource().process({
      ...fetch,
      request: { ...fetch.request, http: executorHttpOf(new Map([['Apollo-Federation-Include-Trace', 'ftv1']])) },
    });

    expect(upstream.received[0]!.headers).toMatchObject({ 'apollo-federation-include-trace': 'ftv1', authorization: 'Bearer token-a' });
    expect(JSON.parse(upstream.received[0]!.body)).not.toHaveProperty('http');
  });
});

describe('the type of a subgraph operation', () => {
  test.each([
    ['{items{id}}', 'query'],
    ['query Items{items{id}}', 'query'],
    ['# a comment\n mutation M{placeOrder{id}}', 'mutation'],
    ['fragment F on Item{id} query Q{items{...F}}', 'query'],
    ['fragment F on Item{id} mutation M{placeOrder{...F}}', 'mutation'],
    ['not graphql', undefined],
  ])('when the operation is %j, then its type is %s', (query, type) => {
    expect(operationTypeOf({ query })).toBe(type);
  });
});
