import { createHash } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { calculateJwkThumbprint, exportJWK, importSPKI } from 'jose';
import pg from 'pg';
import { tierFor } from '../../subgraphs/users/src/domain/customer-tier';
import type { ScalePlatform } from './scale-platform';
import { httpClient, SHOP_QUERIES, type Customer, type LoadReport } from './scale-load';

/** One invariant, as the report prints it. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

async function withPool<T>(url: string, use: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await use(pool);
  } finally {
    await pool.end();
  }
}

/** The stream's and the loyalty consumer's state on the NATS server. */
async function jetStreamState(natsUrl: string, namespace: string): Promise<{ messages: number; pending: number; ackPending: number }> {
  const nats = await connect({ servers: natsUrl });
  try {
    const manager = await jetstreamManager(nats);
    const stream = `${namespace}_ORDERS`;
    const info = await manager.streams.info(stream);
    const consumer = await manager.consumers.info(stream, 'users-loyalty');
    return { messages: info.state.messages, pending: consumer.num_pending, ackPending: consumer.num_ack_pending };
  } finally {
    await nats.close();
  }
}

export interface PublishWatch {
  /** Stops watching; resolves with how often each event id was published, and when the repeats came (ms on the platform's clock). */
  stop(): Promise<{ timesById: Map<string, number>; repeatsAtMs: number[] }>;
}

/**
 * Counts every publish of the run's order events as it reaches the NATS server: a plain
 * subscription on the subjects sees each message a relay sends, duplicates included (JetStream
 * drops those from the stream by their Nats-Msg-Id, so the stream alone cannot show them).
 */
export async function watchPublishes(natsUrl: string, namespace: string, startedAt: number): Promise<PublishWatch> {
  const nats = await connect({ servers: natsUrl });
  const timesById = new Map<string, number>();
  const repeatsAtMs: number[] = [];
  const subscription = nats.subscribe(`${namespace}.orders.v1.>`, {
    callback: (error, message) => {
      const id = message?.headers?.get('Nats-Msg-Id');
      if (error || !id) return;
      const times = (timesById.get(id) ?? 0) + 1;
      timesById.set(id, times);
      if (times > 1) repeatsAtMs.push(Date.now() - startedAt);
    },
  });
  await nats.flush();
  return {
    async stop() {
      await nats.flush();
      subscription.unsubscribe();
      await nats.close();
      return { timesById, repeatsAtMs };
    },
  };
}

/**
 * The outbox relays run on every orders replica; one transaction-scoped advisory lock lets
 * one publish at a time. Had two published the same batch, most events would reach the broker
 * twice. The only repeats allowed are a killed relay's batch in flight (sent, not yet marked):
 * at most one batch (100) per orders replica killed.
 */
export function checkRelayPublishes(
  watched: { timesById: Map<string, number>; repeatsAtMs: number[] },
  outboxIds: string[],
  ordersKilled: number,
): Check {
  const neverSeen = outboxIds.filter((id) => !watched.timesById.has(id)).length;
  const repeated = [...watched.timesById.values()].filter((times) => times > 1).length;
  return check(
    "the outbox relays of the orders replicas never published concurrently: each event reached the broker once, bar a killed relay's batch in flight",
    neverSeen === 0 && repeated <= 100 * ordersKilled,
    `${watched.timesById.size} event ids published for ${outboxIds.length} outbox rows (never seen ${neverSeen}); ` +
      `published more than once: ${repeated}${repeated ? ` (at ${[...new Set(watched.repeatsAtMs.map((ms) => (ms / 1000).toFixed(1)))].join(', ')} s)` : ''}; orders replicas SIGKILLed: ${ordersKilled}`,
  );
}

/** Removes the run's stream from the shared NATS server. */
export async function deleteRunStream(natsUrl: string, namespace: string): Promise<void> {
  const nats = await connect({ servers: natsUrl });
  try {
    await (await jetstreamManager(nats)).streams.delete(`${namespace}_ORDERS`).catch(() => false);
  } finally {
    await nats.close();
  }
}

/**
 * Waits until every order event is published (the outbox is empty) and applied by loyalty
 * (each outbox id is a processed event), or `timeoutMs` passes. Resolves with the counts seen last.
 */
/** The outbox rows loyalty applies (placed and cancelled orders), as SQL. */
const LOYALTY_SUBJECTS_SQL = "subject IN ('orders.v1.placed', 'orders.v1.cancelled')";

export async function waitForEventsDrained(
  platform: ScalePlatform,
  natsUrl: string,
  timeoutMs: number,
): Promise<{ outbox: number; pending: number; processed: number; ackPending: number }> {
  const deadline = Date.now() + timeoutMs;
  return withPool(platform.ordersDatabase.url, (orders) =>
    withPool(platform.usersDatabase.url, async (users) => {
      for (;;) {
        const { rows } = await orders.query<{ outbox: number; pending: number }>(
          // Loyalty applies placed and cancelled orders; shipping and catalog changes are not its events.
          `SELECT count(*) FILTER (WHERE ${LOYALTY_SUBJECTS_SQL})::int AS outbox, count(*) FILTER (WHERE published_at IS NULL)::int AS pending FROM outbox_events`,
        );
        const processed = (await users.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_events')).rows[0]!.n;
        // Applied is not yet settled: an event a killed or stopping replica applied but never
        // acknowledged comes back after ack_wait, and is acknowledged then (as a duplicate).
        const broker = await jetStreamState(natsUrl, platform.natsNamespace);
        const state = { ...rows[0]!, processed, ackPending: broker.pending + broker.ackPending };
        const settled = state.pending === 0 && state.processed >= state.outbox && state.ackPending === 0;
        if (settled || Date.now() > deadline) return state;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }),
  );
}

/**
 * The shop's invariants after the load, each checked against what the clients were told
 * (the ledger) and against the databases and the broker:
 * stock, one order per idempotency key, the orders' states, every event applied exactly once,
 * loyalty totals and tiers.
 */
export async function checkShopInvariants(
  platform: ScalePlatform,
  load: LoadReport,
  initialStock: Map<string, number>,
  natsUrl: string,
  publishes: { timesById: Map<string, number>; repeatsAtMs: number[] },
): Promise<Check[]> {
  const checks: Check[] = [];
  const accepted = [...load.orders.values()].filter((order) => order.outcome === 'accepted');

  await withPool(platform.ordersDatabase.url, async (orders) => {
    // Stock: initial − every accepted order + every cancelled one, as the clients were told.
    const stock = new Map(
      (await orders.query<{ sku: string; stock: number }>('SELECT sku, stock FROM products')).rows.map((row) => [row.sku, row.stock]),
    );
    const expected = new Map(initialStock);
    for (const order of accepted) {
      for (const item of order.items) expected.set(item.sku, expected.get(item.sku)! - (order.cancelled ? 0 : item.quantity));
    }
    const wrong = [...expected].filter(([sku, units]) => stock.get(sku) !== units || units < 0);
    checks.push(
      check(
        'stock = initial − accepted orders + cancellations, for every product',
        wrong.length === 0,
        wrong.length === 0
          ? `${expected.size} products`
          : wrong.map(([sku, units]) => `${sku}: expected ${units}, found ${stock.get(sku)}`).join('; '),
      ),
    );
    const soldOut = [...stock].filter(([, units]) => units === 0).map(([sku]) => sku);
    checks.push(
      check(
        'the hot products sold out without overselling',
        soldOut.length > 0 && [...stock.values()].every((units) => units >= 0),
        `sold out: ${soldOut.join(', ') || 'none'}`,
      ),
    );

    // One order per idempotency key, and exactly the orders the clients were told about.
    const duplicates = (await orders.query('SELECT user_id, idempotency_key FROM orders GROUP BY 1, 2 HAVING count(*) > 1')).rows.length;
    const stored = new Map(
      (await orders.query<{ key: string; id: string; status: string }>('SELECT idempotency_key AS key, id, status FROM orders')).rows.map(
        (row) => [row.key, row],
      ),
    );
    const mismatched = accepted.filter((order) => stored.get(order.key)?.id !== order.orderId).map((order) => order.key);
    const unknownToClients = [...stored.keys()].filter((key) => load.orders.get(key)?.outcome !== 'accepted');
    checks.push(
      check(
        'no idempotency key produced two orders; every order is one a client was told about, and only those',
        duplicates === 0 && mismatched.length === 0 && unknownToClients.length === 0 && load.idempotencyViolations.length === 0,
        `${stored.size} orders for ${accepted.length} accepted keys; duplicates ${duplicates}, answered with another id ${mismatched.length}, ` +
          `not answered to any client ${unknownToClients.length}, replays answered differently ${load.idempotencyViolations.length}`,
      ),
    );
    const statusOff = accepted.filter((order) => {
      const status = stored.get(order.key)?.status;
      return (
        (order.cancelled && status !== 'CANCELLED') ||
        (order.shipped && status !== 'SHIPPED') ||
        (!order.cancelled && !order.shipped && status !== 'CONFIRMED')
      );
    });
    checks.push(check("every order's status is what its owner and the admin were told", statusOff.length === 0, `${statusOff.length} off`));
  });

  // Events: each outbox row published, stored once in the stream, applied once by loyalty.
  const outboxIds = await withPool(platform.ordersDatabase.url, async (orders) => {
    const { rows } = await orders.query<{ id: string; published: boolean; loyalty: boolean; catalog: boolean }>(
      `SELECT id, published_at IS NOT NULL AS published, ${LOYALTY_SUBJECTS_SQL} AS loyalty,
              subject = 'orders.v1.product_changed' AS catalog FROM outbox_events`,
    );
    return {
      all: rows.map((row) => row.id),
      // What loyalty applies (placed, cancelled); shipped and product changes it skips.
      loyalty: rows.filter((row) => row.loyalty).map((row) => row.id),
      // Order events: the catalog's are written while the platform is seeded, before the publish watcher listens.
      orders: rows.filter((row) => !row.catalog).map((row) => row.id),
      unpublished: rows.filter((row) => !row.published).length,
    };
  });
  const processedIds = await withPool(platform.usersDatabase.url, async (users) =>
    (await users.query<{ id: string }>('SELECT id FROM processed_events')).rows.map((row) => row.id),
  );
  const stream = await jetStreamState(natsUrl, platform.natsNamespace);
  const processed = new Set(processedIds);
  const missing = outboxIds.loyalty.filter((id) => !processed.has(id)).length;
  const foreign = processedIds.length - (outboxIds.loyalty.length - missing);
  checks.push(
    check(
      'every order event was published once and applied once (outbox = stream = processed events)',
      outboxIds.unpublished === 0 &&
        stream.messages === outboxIds.all.length &&
        missing === 0 &&
        foreign === 0 &&
        stream.pending === 0 &&
        stream.ackPending === 0,
      `outbox ${outboxIds.all.length} (unpublished ${outboxIds.unpublished}; placed or cancelled ${outboxIds.loyalty.length}), stream ${stream.messages}, processed ${processedIds.length} ` +
        `(missing ${missing}, not from the outbox ${foreign}), consumer pending ${stream.pending}, unacknowledged ${stream.ackPending}`,
    ),
  );

  const ordersKilled = platform.events.filter((event) => event.service === 'orders' && event.what.startsWith('SIGKILL')).length;
  checks.push(checkRelayPublishes(publishes, outboxIds.orders, ordersKilled));

  // Loyalty: each customer's lifetime spend is exactly their accepted, uncancelled orders.
  const spendByUser = new Map<string, number>();
  for (const customer of load.customers) spendByUser.set(customer.userId, 0);
  for (const order of accepted) {
    const userId = load.customers[order.customer - 1]!.userId;
    if (!order.cancelled) spendByUser.set(userId, spendByUser.get(userId)! + order.totalCents!);
  }
  const loyalty = await withPool(
    platform.usersDatabase.url,
    async (users) =>
      (
        await users.query<{ id: string; spend: number; tier: string }>(
          'SELECT id, lifetime_spend_cents AS spend, tier FROM users WHERE id = ANY($1::uuid[])',
          [[...spendByUser.keys()]],
        )
      ).rows,
  );
  const offSpend = loyalty.filter((row) => row.spend !== spendByUser.get(row.id) || row.tier !== tierFor(row.spend));
  const tiers = loyalty.reduce<Record<string, number>>((counts, row) => ({ ...counts, [row.tier]: (counts[row.tier] ?? 0) + 1 }), {});
  checks.push(
    check(
      "every customer's lifetime spend and tier are exactly their orders' (tiers exact)",
      loyalty.length === load.customers.length && offSpend.length === 0,
      `${loyalty.length} customers, ${offSpend.length} off; tiers ${JSON.stringify(tiers)}`,
    ),
  );

  // What the clients saw.
  const unexpected = Object.entries(load.operations).flatMap(([name, stats]) =>
    Object.entries(stats.unexpected).map(([reason, n]) => `${name}: ${reason} ×${n}`),
  );
  const gaveUp = Object.entries(load.operations)
    .filter(([, stats]) => stats.gaveUp > 0)
    .map(([name, stats]) => `${name} ×${stats.gaveUp}`);
  const retried = Object.values(load.operations).reduce((sum, stats) => sum + Object.values(stats.retried).reduce((a, b) => a + b, 0), 0);
  checks.push(
    check(
      'clients saw only retryable errors (and every retry got an answer)',
      unexpected.length === 0 && gaveUp.length === 0,
      `${retried} retryable errors retried; unexpected: ${unexpected.join('; ') || 'none'}; gave up: ${gaveUp.join(', ') || 'none'}`,
    ),
  );
  // A registration or lookup Redis did not answer within its 250 ms is a miss by design (the
  // client sends the text again); any other miss would be a replica that does not share.
  const redisTrouble = platform.sets.gateway.history.reduce(
    (sum, replica) => sum + replica.countLines(/persisted-query cache \(Redis\) unavailable/),
    0,
  );
  checks.push(
    check(
      'no APQ hash was forgotten by a gateway once registered, unless Redis did not answer in time',
      load.apqMisses === 0 || redisTrouble > 0,
      `${load.apqMisses} misses after the first registration; the gateways logged Redis not answering ${redisTrouble} time(s) (one line per 10 s at most)`,
    ),
  );
  return checks;
}

/**
 * A client spreading credential attempts over every gateway replica (straight to each, from
 * one address of its own) gets one budget in all, not one per replica: the buckets live in
 * Redis. `perMinute` is RATE_LIMIT_AUTH_PER_MIN.
 */
export async function probeSharedRateLimit(platform: ScalePlatform, perMinute: number, run: string): Promise<Check> {
  const gateways = platform.sets.gateway.replicas;
  const client = httpClient('127.2.0.1');
  const attempts = perMinute * 3;
  const allowedBy = new Map<string, number>();
  const refusedBy = new Map<string, number>();
  const started = Date.now();
  try {
    for (let i = 0; i < attempts; i++) {
      const gateway = gateways[i % gateways.length]!;
      const response = await client.post(`${gateway.url}/graphql`, {
        query: SHOP_QUERIES.signIn,
        variables: { input: { email: `probe-${i}-${run}@scale.test`, password: 'not-the-password' } },
      });
      const counts = response.status === 429 ? refusedBy : allowedBy;
      counts.set(gateway.name, (counts.get(gateway.name) ?? 0) + 1);
    }
  } finally {
    await client.close();
  }
  const elapsedMs = Date.now() - started;
  const allowed = [...allowedBy.values()].reduce((a, b) => a + b, 0);
  // The bucket refills continuously: what came back while the probe ran is allowed too.
  const ceiling = perMinute + Math.ceil((perMinute * elapsedMs) / 60_000);
  const everyReplicaRefused = gateways.every((gateway) => (refusedBy.get(gateway.name) ?? 0) > 0);
  return check(
    `rate limits are global across the ${gateways.length} gateway replicas (one client cannot get ${gateways.length}× its budget)`,
    allowed >= perMinute && allowed <= ceiling && everyReplicaRefused,
    `${attempts} sign-in attempts round-robin over ${gateways.map((gateway) => gateway.name).join(', ')} in ${elapsedMs} ms: ` +
      `${allowed} let through (budget ${perMinute}/min, at most ${ceiling} with the refill; per-replica buckets would let ${perMinute * gateways.length}), ` +
      `refused by ${JSON.stringify(Object.fromEntries(refusedBy))}`,
  );
}

/** An operation registered (APQ) through one gateway replica is served by hash alone by every other. */
export async function probeSharedApq(platform: ScalePlatform, run: string): Promise<Check> {
  const [first, ...others] = platform.sets.gateway.replicas;
  const client = httpClient('127.2.0.2');
  try {
    const query = `{ products(first: 1) { totalCount } } # registered through ${first!.name} (${run})`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const registered = await client.post(`${first!.url}/graphql`, { query, extensions });
    const answers = await Promise.all(
      others.map(async (gateway) => ({ name: gateway.name, answer: await client.post(`${gateway.url}/graphql`, { extensions }) })),
    );
    const served = answers.filter(
      ({ answer }) => answer.status === 200 && JSON.stringify(answer.body) === JSON.stringify(registered.body) && !answer.body?.errors,
    );
    return check(
      'an APQ hash registered on one gateway replica is served by the others (Redis)',
      registered.status === 200 && !registered.body?.errors && others.length > 0 && served.length === others.length,
      `registered on ${first!.name}; by hash alone: ${answers.map(({ name, answer }) => `${name} ${answer.status} ${answer.body?.errors?.[0]?.extensions?.code ?? 'data'}`).join(', ')}`,
    );
  } finally {
    await client.close();
  }
}

/** The kid the users service gives a key: its JWK thumbprint. */
export async function kidOf(publicPem: string): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(await importSPKI(publicPem, 'ES256', { extractable: true })));
}

/**
 * After a key rotation: tokens signed with the old key and with the new one are accepted by
 * every replica of every service, asked directly: each gateway (`me`, through the users
 * replicas), each users replica (`me`), each orders replica (the customer's own order).
 */
export async function probeTokensEverywhere(
  platform: ScalePlatform,
  customer: Customer,
  tokens: { label: string; token: string }[],
  orderId: string,
): Promise<Check> {
  const client = httpClient('127.2.0.3');
  const failures: string[] = [];
  let asked = 0;
  try {
    for (const { label, token } of tokens) {
      const targets = [
        ...platform.sets.gateway.replicas.map((replica) => ({
          replica,
          query: SHOP_QUERIES.tier,
          variables: {},
          expect: (data: any) => data?.me?.id === customer.userId,
        })),
        ...platform.sets.users.replicas.map((replica) => ({
          replica,
          query: '{ me { id } }',
          variables: {},
          expect: (data: any) => data?.me?.id === customer.userId,
        })),
        ...platform.sets.orders.replicas.map((replica) => ({
          replica,
          query: SHOP_QUERIES.orderStatus,
          variables: { id: orderId },
          expect: (data: any) => data?.order?.id === orderId,
        })),
      ];
      for (const target of targets) {
        asked += 1;
        const response = await client.post(
          `${target.replica.url}/graphql`,
          { query: target.query, variables: target.variables },
          { authorization: `Bearer ${token}` },
        );
        if (response.status !== 200 || response.body?.errors || !target.expect(response.body?.data)) {
          failures.push(`${label} at ${target.replica.name}: ${response.status} ${response.text.slice(0, 120)}`);
        }
      }
    }
  } finally {
    await client.close();
  }
  return check(
    'after the key rotation, tokens of the old and the new key are accepted by every gateway, users and orders replica',
    failures.length === 0,
    failures.length === 0 ? `${asked} requests, straight to each replica, all answered` : failures.join('; '),
  );
}
