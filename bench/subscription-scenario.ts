/**
 * The subscription scenario of `npm run bench` (issue 14): `subscribers` clients hold
 * `subscription { orderStatusChanged { id status user { name tier } } }` open through one
 * gateway over Server-Sent Events (the transport both our gateway and Hive Gateway serve by
 * default), each signed in as one of the bench accounts in turn; orders are placed at a steady
 * rate straight on the orders subgraph (so the gateway under test only serves subscriptions),
 * and each order reaches every subscriber of its account, with `user { name tier }` fetched
 * from users per event. Measured: latency from the write to receipt (from the mutation sent,
 * an upper bound, and from its answer, after the commit: a lower one), deliveries per second,
 * the gateway's CPU per 1,000 deliveries and its resident memory per 1,000 subscriptions.
 */
import { performance } from 'node:perf_hooks';
import { readMetric } from '@fedshop/shared/testing';
import { Agent, request } from 'undici';
import { cpuTimeMs, residentMiB } from './process-stats';

export interface SubscriptionScenarioOptions {
  gatewayUrl: string;
  gatewayPid: number;
  ordersUrl: string;
  tokens: string[];
  skus: string[];
  subscribers: number;
  /** Orders placed per second while measuring. */
  ordersPerSecond: number;
  seconds: number;
  log: (line: string) => void;
}

export interface SubscriptionScenarioResult {
  subscribers: number;
  /** Subscriptions the orders subgraph holds for them (1 per subscriber unless the gateway shares identical ones). */
  upstreamSubscriptions: number;
  orders: number;
  deliveriesExpected: number;
  deliveriesReceived: number;
  /** Deliveries per second over the measured window. */
  eventsPerSecond: number;
  latencyFromAnswerMs: { p50: number; p99: number; max: number };
  latencyFromSendMs: { p50: number; p99: number; max: number };
  /** Gateway CPU while measuring: percent of one core, and ms per 1,000 deliveries. */
  gatewayCpuPercent: number | null;
  gatewayCpuMsPerThousandEvents: number | null;
  /** Gateway resident memory idle, with every subscriber connected, and the difference per 1,000 subscriptions. */
  rssIdleMiB: number | null;
  rssSubscribedMiB: number | null;
  rssPerThousandSubscriptionsMiB: number | null;
  secondsToSubscribe: number;
}

const QUERY = 'subscription BenchOrderStatus { orderStatusChanged { id status user { name tier } } }';

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) };
};

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

export async function measureSubscriptions(options: SubscriptionScenarioOptions): Promise<SubscriptionScenarioResult> {
  const { log } = options;
  const agent = new Agent({ connections: null, pipelining: 0, keepAliveTimeout: 60_000 });
  const receipts: { orderId: string; at: number }[] = [];
  const streams: { abort: AbortController; done: Promise<void> }[] = [];
  const rssIdle = residentMiB(options.gatewayPid);
  const upstreamBefore = await readMetric(options.ordersUrl, 'graphql_subscriptions_active');
  const openStarted = performance.now();

  const open = async (index: number) => {
    const abort = new AbortController();
    const response = await request(`${options.gatewayUrl}/graphql`, {
      method: 'POST',
      dispatcher: agent,
      signal: abort.signal,
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${options.tokens[index % options.tokens.length]}`,
      },
      body: JSON.stringify({ query: QUERY }),
    });
    if (response.statusCode !== 200) throw new Error(`subscriber ${index}: HTTP ${response.statusCode} ${await response.body.text()}`);
    const done = (async () => {
      let buffered = '';
      try {
        for await (const chunk of response.body) {
          buffered += chunk.toString();
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const message = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = message.split('\n').find((line) => line.startsWith('data:'));
            if (!message.includes('event: next') || !data) continue;
            const id = (JSON.parse(data.slice(5)) as { data?: { orderStatusChanged?: { id?: string } } }).data?.orderStatusChanged?.id;
            if (id) receipts.push({ orderId: id, at: performance.now() });
          }
        }
      } catch {
        // aborted at the end
      }
    })();
    streams.push({ abort, done });
  };
  for (let next = 0; next < options.subscribers;) {
    const batch = Array.from({ length: Math.min(100, options.subscribers - next) }, (_, i) => next + i);
    await Promise.all(batch.map(open));
    next += batch.length;
  }
  // Every stream is open; the subgraph has them all, or (a gateway sharing identical ones) its count stopped growing for a second.
  let upstream = 0;
  let unchanged = 0;
  await until(async () => {
    const now = (await readMetric(options.ordersUrl, 'graphql_subscriptions_active')) - upstreamBefore;
    unchanged = now === upstream && now > 0 ? unchanged + 1 : 0;
    upstream = now;
    return now >= options.subscribers || unchanged >= 5;
  }, 120_000);
  const secondsToSubscribe = (performance.now() - openStarted) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const rssSubscribed = residentMiB(options.gatewayPid);
  log(`  ${options.subscribers} subscribers open in ${secondsToSubscribe.toFixed(1)} s; the orders subgraph holds ${upstream}`);

  // Orders at a steady rate, straight on the orders subgraph.
  const orders = new Map<string, { sentAt: number; answeredAt: number; account: number }>();
  const place = async (n: number, into: Map<string, { sentAt: number; answeredAt: number; account: number }>) => {
    const account = n % options.tokens.length;
    const sentAt = performance.now();
    const response = await request(`${options.ordersUrl}/graphql`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.tokens[account]}` },
      body: JSON.stringify({
        query: 'mutation BenchPlace($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        variables: {
          input: {
            items: [{ sku: options.skus[n % options.skus.length], quantity: 1 }],
            idempotencyKey: `sub-bench-${Date.now()}-${n}-${Math.random()}`,
          },
        },
      }),
    });
    const payload = (await response.body.json()) as { data?: { placeOrder?: { id: string } } };
    const answeredAt = performance.now();
    const id = payload.data?.placeOrder?.id;
    if (id) into.set(id, { sentAt, answeredAt, account });
  };
  const placeSteadily = async (seconds: number, into: Map<string, { sentAt: number; answeredAt: number; account: number }>) => {
    const started = performance.now();
    const total = Math.round(options.ordersPerSecond * seconds);
    const placing: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const wait = started + (n * 1000) / options.ordersPerSecond - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      placing.push(place(n, into));
    }
    await Promise.all(placing);
  };
  // Warm-up: two seconds of the same load, not measured (JIT, connections, caches).
  await placeSteadily(2, new Map());
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  receipts.length = 0;
  const cpuBefore = cpuTimeMs(options.gatewayPid);
  const windowStarted = performance.now();
  await placeSteadily(options.seconds, orders);
  const subscribersOf = (account: number) =>
    Math.floor(options.subscribers / options.tokens.length) + (account < options.subscribers % options.tokens.length ? 1 : 0);
  const expected = [...orders.values()].reduce((sum, order) => sum + subscribersOf(order.account), 0);
  await until(async () => receipts.length >= expected, 30_000);
  const windowSeconds = (performance.now() - windowStarted) / 1000;
  const cpuAfter = cpuTimeMs(options.gatewayPid);

  const fromAnswer: number[] = [];
  const fromSend: number[] = [];
  for (const receipt of receipts) {
    const order = orders.get(receipt.orderId);
    if (!order) continue;
    fromAnswer.push(Math.max(0, receipt.at - order.answeredAt));
    fromSend.push(receipt.at - order.sentAt);
  }
  for (const stream of streams) stream.abort.abort();
  await Promise.all(streams.map((stream) => stream.done));
  await agent.close();
  await until(async () => (await readMetric(options.ordersUrl, 'graphql_subscriptions_active')) <= upstreamBefore, 30_000);

  const cpuMs = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  return {
    subscribers: options.subscribers,
    upstreamSubscriptions: upstream,
    orders: orders.size,
    deliveriesExpected: expected,
    deliveriesReceived: fromAnswer.length,
    eventsPerSecond: Math.round(fromAnswer.length / windowSeconds),
    latencyFromAnswerMs: summary(fromAnswer),
    latencyFromSendMs: summary(fromSend),
    gatewayCpuPercent: cpuMs === null ? null : Math.round((cpuMs / 10 / windowSeconds) * 10) / 10,
    gatewayCpuMsPerThousandEvents: cpuMs === null || fromAnswer.length === 0 ? null : Math.round((cpuMs / fromAnswer.length) * 1000),
    rssIdleMiB: rssIdle === null ? null : Math.round(rssIdle),
    rssSubscribedMiB: rssSubscribed === null ? null : Math.round(rssSubscribed),
    rssPerThousandSubscriptionsMiB:
      rssIdle === null || rssSubscribed === null ? null : Math.round(((rssSubscribed - rssIdle) / options.subscribers) * 1000 * 10) / 10,
    secondsToSubscribe: Math.round(secondsToSubscribe * 10) / 10,
  };
}
