import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import pg from 'pg';
import { readMetric } from '@fedshop/shared/testing';

/** One result of a subscription as a client receives it. */
export interface SubscriptionResult {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/**
 * A subscription's results as they arrive, read in order by `next()`; `ended` resolves with
 * how it ended: `complete`, or the error (a WebSocket CloseEvent with its `code`, an SSE
 * response error, GraphQL errors of an `error` message).
 */
export class ReceivedResults {
  private readonly results: SubscriptionResult[] = [];
  private readonly waiters: (() => void)[] = [];
  private read = 0;
  private endWith!: (outcome: { complete: true } | { error: any }) => void;
  readonly ended = new Promise<{ complete: true } | { error: any }>((resolve) => (this.endWith = resolve));
  private isEnded = false;

  push(result: SubscriptionResult): void {
    this.results.push(result);
    for (const wake of this.waiters.splice(0)) wake();
  }

  end(outcome: { complete: true } | { error: any }): void {
    this.isEnded = true;
    this.endWith(outcome);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The next result; rejects when the subscription ended without one. */
  async next(): Promise<SubscriptionResult> {
    while (this.read >= this.results.length) {
      if (this.isEnded) throw new Error(`the subscription ended after ${this.results.length} results: ${JSON.stringify(await this.ended)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.results[this.read++]!;
  }

  /** Every result received so far. */
  all(): SubscriptionResult[] {
    return [...this.results];
  }
}

export interface OpenSubscription {
  results: ReceivedResults;
  /** Stops it (client side). */
  stop(): void;
}

/** A graphql-ws client on the gateway (the protocol Apollo Sandbox and Apollo Client speak), no retries. */
export function wsClient(
  gatewayUrl: string,
  token: string | null,
  options: { onClosed?: (event: any) => void; connectionParams?: Record<string, unknown>; keepOpenMs?: number } = {},
): Client {
  return createWsClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    // Kept open this long after the last subscription ended, for tests that wait for the server's close code.
    lazyCloseTimeout: options.keepOpenMs ?? 0,
    connectionParams: options.connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
    on: { closed: (event) => options.onClosed?.(event) },
  });
}

/** Subscribes over an existing graphql-ws client. */
export function subscribeWs(client: Client, query: string, variables: Record<string, unknown> = {}): OpenSubscription {
  const results = new ReceivedResults();
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => results.push(result as SubscriptionResult),
      error: (error) => results.end({ error }),
      complete: () => results.end({ complete: true }),
    },
  );
  return { results, stop };
}

/** Subscribes over Server-Sent Events (graphql-sse, distinct connections mode). */
export function subscribeSse(
  gatewayUrl: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): OpenSubscription {
  const client = createSseClient({
    url: `${gatewayUrl}/graphql`,
    singleConnection: false,
    retryAttempts: 0,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const results = new ReceivedResults();
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => results.push(result as SubscriptionResult),
      error: (error) => results.end({ error }),
      complete: () => results.end({ complete: true }),
    },
  );
  return {
    results,
    stop: () => {
      stop();
      client.dispose();
    },
  };
}

/** Waits until a service's `graphql_subscriptions_active` reaches `count` (the subgraph is then listening). */
export async function untilSubgraphSubscriptions(serviceUrl: string, count: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = await readMetric(serviceUrl, 'graphql_subscriptions_active');
    if (active === count) return;
    if (Date.now() > deadline) throw new Error(`${serviceUrl}: ${active} subscriptions active, waited for ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until the gateway serves `clients` subscriptions (`gateway_subscriptions_active`) and
 * the subgraph at `serviceUrl` holds `upstream` (`graphql_subscriptions_active`): every client
 * is then attached and the subgraph listening. Identical subscriptions of one caller share one
 * upstream subscription, so `upstream` may be fewer than `clients`.
 */
export async function untilSubscribed(
  gatewayUrl: string,
  clients: number,
  serviceUrl: string,
  upstream: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [atGateway, atSubgraph] = await Promise.all([
      readMetric(gatewayUrl, 'gateway_subscriptions_active'),
      readMetric(serviceUrl, 'graphql_subscriptions_active'),
    ]);
    if (atGateway === clients && atSubgraph === upstream) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${atGateway} client subscriptions at the gateway and ${atSubgraph} at ${serviceUrl}; waited for ${clients} and ${upstream}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until the orders outbox has published every event (so a subscription started now
 * hears only of changes committed from now on).
 */
export async function untilOutboxPublished(ordersDatabaseUrl: string, timeoutMs = 15_000): Promise<void> {
  const client = new pg.Client({ connectionString: ordersDatabaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL');
      if (rows[0]!.n === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.n} outbox events still unpublished`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await client.end();
  }
}
