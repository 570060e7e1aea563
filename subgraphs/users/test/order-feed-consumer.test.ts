import { randomUUID } from 'node:crypto';
import { ORDER_CANCELLED_SUBJECT, ORDER_PLACED_SUBJECT, orderEventsV1 } from '@fedshop/shared/events';
import type { orderV1 } from '@fedshop/shared/grpc';
import { readMetric } from '@fedshop/shared/testing';
import { signUpCustomer, startUsersUnderTest, type UsersUnderTest } from './support/start-users-under-test';

/**
 * The loyalty consumer reading the order events feed (no NATS_URL): the real users service on
 * a fresh database, its orders peer a fake gRPC server whose feed the test writes. What the
 * real orders service serves is tested in subgraphs/orders/test/order-feed.test.ts; both
 * together, as separate processes, in test/events/outbox-feed-processes.test.ts.
 */
describe('the loyalty consumer on the order events feed', () => {
  let users: UsersUnderTest;
  let customer: string;
  let sequence = 0;
  /** Every fake feed the test writes to (two when two replicas read "the same" orders service). */
  const feeds: orderV1.OrderEvent[][] = [];

  beforeAll(async () => {
    users = await startUsersUnderTest({ env: { EVENTS_MAX_ATTEMPTS: '3' } });
    customer = (await signUpCustomer(users)).user.id;
    feeds.push(users.orders.feed);
  });
  afterAll(async () => {
    await users?.stop();
  });

  /** Appends an event to the fake feed; returns its event id. */
  function publish(
    subject: string,
    totalCents: number,
    options: { eventId?: string; userId?: string; redelivered?: boolean } = {},
  ): string {
    const eventId = options.eventId ?? randomUUID();
    const message = subject === ORDER_CANCELLED_SUBJECT ? orderEventsV1.OrderCancelled : orderEventsV1.OrderPlaced;
    const payload = message
      .encode({ eventId, orderId: randomUUID(), userId: options.userId ?? customer, totalCents, currency: 'USD', occurredAt: new Date() })
      .finish();
    appendRaw(subject, Buffer.from(payload), eventId, options.redelivered);
    return eventId;
  }
  function appendRaw(subject: string, payload: Buffer, eventId: string, redelivered = false): orderV1.OrderEvent {
    const event = { sequence: ++sequence, eventId, subject, payload, traceparent: '', redelivered, recordedAt: new Date() };
    for (const feed of feeds) feed.push(event);
    return event;
  }

  const cursor = async () =>
    Number((await users.sql.query(`SELECT position FROM event_feed_cursors WHERE consumer = 'users-loyalty'`)).rows[0]?.position ?? -1);
  async function untilCursorAt(target: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await cursor()) !== target) {
      if (Date.now() > deadline) throw new Error(`the cursor stayed at ${await cursor()}, not ${target}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  const loyalty = async () =>
    (await users.sql.query('SELECT lifetime_spend_cents AS spend, tier FROM users WHERE id = $1', [customer])).rows[0] as {
      spend: number;
      tier: string;
    };
  const metric = (name: string, labels: Record<string, string> = {}) => readMetric(users.url, name, labels);

  test('when the feed holds placed and cancelled orders, then each applies once, in order, and the cursor ends at the last one', async () => {
    expect(await (await fetch(`${users.url}/readyz`)).json()).toMatchObject({ events: { transport: 'outbox-feed' } });
    publish(ORDER_PLACED_SUBJECT, 150_000);
    publish(ORDER_PLACED_SUBJECT, 400_000);
    publish(ORDER_CANCELLED_SUBJECT, 150_000);

    await untilCursorAt(3);

    expect(await loyalty()).toEqual({ spend: 400_000, tier: 'SILVER' });
    expect((await users.sql.query('SELECT count(*)::int AS n FROM processed_events')).rows[0].n).toBe(3);
    expect(await metric('events_consumed_total', { result: 'applied' })).toBe(3);
    expect(await metric('events_consumer_lag')).toBe(0);
    expect(await metric('events_transport', { transport: 'outbox-feed' })).toBe(1);
    // Each request acknowledged what came before it: the consumer asked from 0, then from 3.
    const asked = users.orders.feedRequests.map((request) => request.afterSequence);
    expect(asked.slice(0, 1)).toEqual([0]);
    expect(asked.at(-1)).toBe(3);
    expect(users.orders.feedRequests.every((request) => request.consumer === 'users-loyalty' && request.waitMs > 0)).toBe(true);
  });

  test('when an event comes again (redelivered, or published twice), then it changes nothing and is counted as a redelivery', async () => {
    const before = await loyalty();
    const [first] = users.orders.feed;
    const redeliveriesBefore = await metric('events_redeliveries_total');
    appendRaw(first!.subject, first!.payload, first!.eventId, true);
    publish(ORDER_PLACED_SUBJECT, 1);

    await untilCursorAt(sequence);

    expect(await loyalty()).toEqual({ spend: before.spend + 1, tier: before.tier });
    expect(await metric('events_consumed_total', { result: 'duplicate' })).toBe(1);
    expect(await metric('events_redeliveries_total')).toBe(redeliveriesBefore + 1);
  });

  test('when poisoned events sit in the feed, then each is parked, logged and counted, and the events after them apply', async () => {
    const before = await loyalty();
    // Field 1 announces 255 bytes and none follow: no protobuf reader gets through it.
    const garbage = appendRaw(ORDER_PLACED_SUBJECT, Buffer.from([0x0a, 0xff, 0x01]), randomUUID());
    // A total the database column cannot hold: decodes fine, fails on every attempt.
    const tooBig = publish(ORDER_PLACED_SUBJECT, 2 ** 40);
    publish(ORDER_PLACED_SUBJECT, 100);

    await untilCursorAt(sequence);

    expect(await loyalty()).toEqual({ spend: before.spend + 100, tier: before.tier });
    const parked = (
      await users.sql.query('SELECT message_id, transport, sequence::int, attempts, reason FROM parked_events ORDER BY sequence')
    ).rows;
    expect(parked).toEqual([
      {
        message_id: garbage.eventId,
        transport: 'outbox-feed',
        sequence: garbage.sequence,
        attempts: 1,
        reason: expect.stringMatching(/^undecodable orders\.v1\.placed/),
      },
      {
        message_id: tooBig,
        transport: 'outbox-feed',
        sequence: garbage.sequence + 1,
        attempts: 3,
        reason: expect.stringMatching(/^failed 3 times: /),
      },
    ]);
    expect((await users.sql.query('SELECT 1 FROM processed_events WHERE id = $1', [tooBig])).rowCount).toBe(0);
    expect(await metric('events_parked')).toBe(2);
    expect(await metric('events_consumed_total', { result: 'parked' })).toBe(2);
    const logged = users.logs.lines().filter((line) => line.msg === 'order event parked: it cannot be applied');
    expect(logged.map((line) => [line.level, line.messageId])).toEqual([
      ['error', garbage.eventId],
      ['error', tooBig],
    ]);
  });

  test('when an event has a subject loyalty does not handle, then the cursor moves past it and nothing else changes', async () => {
    const before = await loyalty();
    appendRaw('orders.v1.shipped', Buffer.from('any'), randomUUID());

    await untilCursorAt(sequence);

    expect(await loyalty()).toEqual(before);
    expect(await metric('events_consumed_total', { result: 'ignored' })).toBe(1);
  });

  test('when the feed ends before the cursor (orders lost its database), then the consumer reads it again from the start and applies only what is new', async () => {
    const before = await loyalty();
    const old = users.orders.feed.find(
      (event) => event.subject === ORDER_PLACED_SUBJECT && orderEventsV1.OrderPlaced.decode(event.payload).totalCents === 400_000,
    )!;
    users.orders.feed.length = 0;
    sequence = 0;
    appendRaw(old.subject, old.payload, old.eventId);
    publish(ORDER_PLACED_SUBJECT, 7);

    await untilCursorAt(2);

    expect(await loyalty()).toEqual({ spend: before.spend + 7, tier: before.tier });
    expect(
      users.logs
        .lines()
        .some((line) => line.level === 'error' && line.msg === 'the order feed is behind this consumer: reading it again from the start'),
    ).toBe(true);
  });

  test('when two replicas read the same feed into one database, then each event applies once and the cursor ends at the last', async () => {
    const second = await startUsersUnderTest({ database: users.database, dataDir: users.env.DATA_DIR, env: { EVENTS_MAX_ATTEMPTS: '3' } });
    try {
      second.orders.feed.push(...users.orders.feed);
      feeds.push(second.orders.feed);
      const before = await loyalty();
      const appliedBefore = await metric('events_consumed_total', { result: 'applied' });
      const duplicatesBefore = await metric('events_consumed_total', { result: 'duplicate' });

      for (let i = 0; i < 40; i++) publish(ORDER_PLACED_SUBJECT, 1);
      await untilCursorAt(sequence);

      expect(await loyalty()).toEqual({ spend: before.spend + 40, tier: before.tier });
      const applied = (await metric('events_consumed_total', { result: 'applied' })) - appliedBefore;
      const appliedBySecond = await readMetric(second.url, 'events_consumed_total', { result: 'applied' });
      expect(applied + appliedBySecond).toBe(40);
      expect(await metric('events_consumed_total', { result: 'duplicate' })).toBe(duplicatesBefore);
      expect(await readMetric(second.url, 'events_consumed_total', { result: 'duplicate' })).toBe(0);
    } finally {
      feeds.pop();
      await second.stop();
    }
  });
});
