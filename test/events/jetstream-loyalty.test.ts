import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import pino from 'pino';
import { connectJetStreamBus, lazyEventBus, ORDERS_STREAM, orderEventsV1, type EventBus } from '@fedshop/shared/events';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { readMetric, startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';

const NATS_URL = process.env.NATS_URL;
const describeWithNats = NATS_URL ? describe : describe.skip;
if (!NATS_URL) console.warn('NATS_URL not set: skipping the JetStream loyalty fault tests (CI sets it)');

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithNats('loyalty through real JetStream, under faults', () => {
  const logger = pino({ level: 'silent' });
  let proxy: TcpProxy;
  let ordersBus: EventBus;
  let usersBus: EventBus;
  let platform: TestPlatform;
  let usersDb: pg.Pool;
  let ordersDb: pg.Pool;
  let nats: NatsConnection;

  const durable = `test-loyalty-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const target = new URL(NATS_URL!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 4222));
    // Orders reaches the broker through a proxy the test can cut; users connects directly.
    ordersBus = lazyEventBus(
      () => connectJetStreamBus({ url: `nats://127.0.0.1:${proxy.port}`, name: 'orders', stream: ORDERS_STREAM, logger }),
      logger,
    );
    usersBus = await connectJetStreamBus({ url: NATS_URL!, name: 'users', stream: ORDERS_STREAM, logger });
    platform = await startTestPlatform({
      eventBuses: { orders: ordersBus, users: usersBus },
      // A durable of its own: other test runs on the same broker keep theirs.
      usersEnv: { EVENTS_CONSUMER: durable, EVENTS_ACK_WAIT_MS: '2000' },
      ordersEnv: { OUTBOX_POLL_MS: '50' },
    });
    usersDb = new pg.Pool({ connectionString: platform.usersDatabase.url, max: 2 });
    ordersDb = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
    nats = await connect({ servers: NATS_URL });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([usersDb?.end(), ordersDb?.end()]);
    await platform?.stop();
    await (nats ? await jetstreamManager(nats) : undefined)?.consumers.delete('ORDERS', durable).catch(() => undefined);
    await Promise.all([ordersBus?.close(), usersBus?.close(), nats?.drain()]);
    await proxy?.close();
  });

  const signUp = async (email: string) => {
    const response = await platform.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`, {
      input: { email, password: 'loyal-password', name: email.split('@')[0] },
    });
    return { token: response.data!.signUp.token as string, id: response.data!.signUp.user.id as string };
  };
  const spendOf = async (userId: string) =>
    (await usersDb.query('SELECT lifetime_spend_cents AS spend, tier FROM users WHERE id = $1', [userId])).rows[0] as {
      spend: number;
      tier: string;
    };
  /** Applied events that this platform's orders service published (the stream also holds other runs' events). */
  const processed = async () => {
    const ours = (await ordersDb.query('SELECT id FROM outbox_events')).rows.map((row) => row.id as string);
    return (await usersDb.query('SELECT count(*)::int AS n FROM processed_events WHERE id = ANY($1::uuid[])', [ours])).rows[0].n as number;
  };

  test('when the consumer is killed mid-stream and restarted, then every event is applied exactly once', async () => {
    const admin = (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!
      .signIn.token;
    await platform.gql(
      `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku } }`,
      { input: { sku: 'LOYAL-1', name: 'Loyalty widget', priceCents: 1_234, currency: 'USD', stock: 100_000 } },
      { token: admin },
    );
    const customers = await Promise.all([1, 2, 3, 4].map((i) => signUp(`loyal${i}@example.com`)));
    const processedBefore = await processed();

    // Events pile up in the outbox while the broker is out of reach...
    await proxy.cut();
    let placedCount = 0;
    for (let i = 0; i < 120; i++) {
      const customer = customers[i % customers.length]!;
      const placed = await platform.gql(
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
        { input: { items: [{ sku: 'LOYAL-1', quantity: 1 + (i % 3) }], idempotencyKey: `loyal-${i}` } },
        { token: customer.token },
      );
      expect(placed.errors).toEqual([]);
      placedCount++;
      if (i % 10 === 0) {
        await platform.gql(
          `mutation($id: ID!) { cancelOrder(id: $id) { id } }`,
          { id: placed.data!.placeOrder.id },
          { token: customer.token },
        );
        placedCount++;
      }
    }
    // ...then flood the stream at once, and the consumer is killed while it works through them.
    await proxy.restore();
    await until(async () => (await processed()) - processedBefore >= 10, 'the consumer to start on the backlog');
    await platform.restartUsers();
    await until(async () => (await processed()) - processedBefore >= 40, 'the restarted consumer to go on');
    await platform.restartUsers();
    await until(async () => (await readMetric(platform.ordersUrl, 'outbox_backlog')) === 0, 'the outbox to drain');
    await until(async () => (await processed()) - processedBefore === placedCount, 'every event applied', 30_000).catch(
      async (error: unknown) => {
        const outbox = (await ordersDb.query('SELECT count(*)::int AS n, count(published_at)::int AS published FROM outbox_events'))
          .rows[0];
        throw new Error(
          `${(error as Error).message}: processed ${(await processed()) - processedBefore} of ${placedCount}; outbox ${JSON.stringify(outbox)}; consumer lag ${await readMetric(platform.usersUrl, 'events_consumer_lag')}`,
        );
      },
    );

    // The recount: what the orders database says each customer has spent.
    for (const customer of customers) {
      const recount = (
        await ordersDb.query(
          `SELECT coalesce(sum(total_cents), 0)::int AS spend FROM orders WHERE user_id = $1 AND status <> 'CANCELLED'`,
          [customer.id],
        )
      ).rows[0].spend as number;
      expect((await spendOf(customer.id)).spend).toBe(recount);
    }
  }, 120_000);

  const publish = async (subject: string, bytes: Uint8Array, msgId: string) => {
    await jetstream(nats).publish(subject, bytes, { msgID: msgId });
  };

  test('when the same event is published twice (two message ids), then it is applied once', async () => {
    const customer = await signUp('twice@example.com');
    const eventId = randomUUID();
    const event = orderEventsV1.OrderPlaced.encode({
      eventId,
      orderId: randomUUID(),
      userId: customer.id,
      totalCents: 150_000,
      currency: 'USD',
      occurredAt: new Date(),
    }).finish();
    await publish('orders.v1.placed', event, randomUUID());
    await publish('orders.v1.placed', event, randomUUID());
    await until(async () => (await usersDb.query('SELECT 1 FROM processed_events WHERE id = $1', [eventId])).rowCount === 1, 'the event');
    // A marker event published after both copies: once it is applied, both copies were seen.
    const marker = randomUUID();
    await publish(
      'orders.v1.placed',
      orderEventsV1.OrderPlaced.encode({
        eventId: marker,
        orderId: randomUUID(),
        userId: customer.id,
        totalCents: 1,
        currency: 'USD',
        occurredAt: new Date(),
      }).finish(),
      marker,
    );
    await until(async () => (await usersDb.query('SELECT 1 FROM processed_events WHERE id = $1', [marker])).rowCount === 1, 'the marker');
    expect(await spendOf(customer.id)).toEqual({ spend: 150_001, tier: 'SILVER' });
  }, 60_000);

  test('when a cancellation is processed before its placement, then the total still ends right', async () => {
    const customer = await signUp('backwards@example.com');
    const orderId = randomUUID();
    const cancelled = randomUUID();
    const placed = randomUUID();
    const body = { orderId, userId: customer.id, totalCents: 200_000, currency: 'USD', occurredAt: new Date() };
    await publish('orders.v1.cancelled', orderEventsV1.OrderCancelled.encode({ ...body, eventId: cancelled }).finish(), cancelled);
    await until(async () => (await spendOf(customer.id)).spend === -200_000, 'the early cancellation');
    await publish('orders.v1.placed', orderEventsV1.OrderPlaced.encode({ ...body, eventId: placed }).finish(), placed);
    await until(async () => (await spendOf(customer.id)).spend === 0, 'the late placement');
    expect((await spendOf(customer.id)).tier).toBe('STANDARD');
  }, 60_000);
});
