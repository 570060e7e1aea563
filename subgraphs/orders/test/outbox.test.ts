import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { orderEventsV1 } from '@fedshop/shared/events';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy';
import { readMetric } from '../../../test/support/test-platform';
import { startOrdersUnderTest, uniqueSku, type OrdersUnderTest } from './support/orders-under-test';

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id totalCents } }`;

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the transactional outbox (no broker: in-process bus)', () => {
  let orders: OrdersUnderTest;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
  });
  afterAll(async () => {
    await orders?.stop();
  });

  test('when an order is placed or cancelled, then exactly one event is written with it and the relay marks it published', async () => {
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, stock: 5, priceCents: 700 });
    const buyer = await orders.account();
    const placed = await orders.gql(PLACE, { input: { items: [{ sku, quantity: 2 }], idempotencyKey: 'o1' } }, { token: buyer.token });
    const id = placed.data!.placeOrder.id as string;
    await orders.gql(PLACE, { input: { items: [{ sku, quantity: 2 }], idempotencyKey: 'o1' } }, { token: buyer.token });
    await orders.gql(PLACE, { input: { items: [{ sku, quantity: 99 }], idempotencyKey: 'o2' } }, { token: buyer.token });
    await orders.gql(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id }, { token: buyer.token });

    const events = (await orders.sql.query('SELECT subject, payload, published_at FROM outbox_events ORDER BY seq')).rows.filter((row) => {
      const decoded =
        row.subject === 'orders.v1.placed'
          ? orderEventsV1.OrderPlaced.decode(row.payload)
          : orderEventsV1.OrderCancelled.decode(row.payload);
      return decoded.orderId === id;
    });
    expect(events.map((row) => row.subject)).toEqual(['orders.v1.placed', 'orders.v1.cancelled']);
    const placedEvent = orderEventsV1.OrderPlaced.decode(events[0].payload);
    expect(placedEvent).toMatchObject({ orderId: id, userId: buyer.id, totalCents: 1400, currency: 'USD' });
    await until(
      async () => (await orders.sql.query('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL')).rows[0].n === 0,
      'the relay',
    );
  });
});

const NATS_URL = process.env.NATS_URL;
const describeWithNats = NATS_URL ? describe : describe.skip;
if (!NATS_URL) console.warn('NATS_URL not set: skipping the JetStream outbox tests (CI sets it)');

describeWithNats('the transactional outbox with JetStream (NATS_URL)', () => {
  let proxy: TcpProxy;
  let orders: OrdersUnderTest;
  let nats: NatsConnection;

  beforeAll(async () => {
    const target = new URL(NATS_URL!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 4222));
    orders = await startOrdersUnderTest({ NATS_URL: `nats://127.0.0.1:${proxy.port}`, OUTBOX_POLL_MS: '50' });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await orders?.stop();
    await nats?.drain();
    await proxy?.close();
  });

  /** Reads this test's events from the ORDERS stream through a consumer of its own. */
  async function eventsFor(orderIds: string[], expected: number) {
    const jsm = await jetstreamManager(nats);
    const name = `test-${randomUUID()}`;
    await jsm.consumers.add('ORDERS', {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'orders.v1.placed',
    });
    const consumer = await jetstream(nats).consumers.get('ORDERS', name);
    const found: { orderId: string; msgId: string | undefined; eventId: string }[] = [];
    const deadline = Date.now() + 15_000;
    while (found.length < expected && Date.now() < deadline) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1_000 });
      for await (const message of batch) {
        const event = orderEventsV1.OrderPlaced.decode(message.data);
        if (orderIds.includes(event.orderId))
          found.push({ orderId: event.orderId, msgId: message.headers?.get('Nats-Msg-Id'), eventId: event.eventId });
        message.ack();
      }
    }
    await jsm.consumers.delete('ORDERS', name);
    return found;
  }

  test('when the broker is reachable, then each placed order is published once with Nats-Msg-Id = event id', async () => {
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, stock: 5 });
    const buyer = await orders.account();
    const placed = await orders.gql(PLACE, { input: { items: [{ sku, quantity: 1 }], idempotencyKey: 'n1' } }, { token: buyer.token });
    const id = placed.data!.placeOrder.id as string;
    const [event] = await eventsFor([id], 1);
    expect(event).toBeDefined();
    expect(event!.msgId).toBe(event!.eventId);
  });

  test('when the broker is unreachable, then orders are still accepted; when it returns, then the outbox drains in order', async () => {
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, stock: 10 });
    const buyer = await orders.account();
    await proxy.cut();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const placed = await orders.gql(
        PLACE,
        { input: { items: [{ sku, quantity: 1 }], idempotencyKey: `down-${i}` } },
        { token: buyer.token },
      );
      expect(placed.errors).toEqual([]);
      ids.push(placed.data!.placeOrder.id);
    }
    await until(async () => (await readMetric(orders.httpUrl, 'outbox_backlog')) >= 4, 'the backlog to show');
    await proxy.restore();
    await until(async () => (await readMetric(orders.httpUrl, 'outbox_backlog')) === 0, 'the outbox to drain', 30_000);
    const events = await eventsFor(ids, 4);
    expect(events.map((event) => event.orderId)).toEqual(ids);
  }, 60_000);
});
