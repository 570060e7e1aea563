import { randomUUID } from 'node:crypto';
import { freePort } from '@fedshop/shared/testing';
import { graphqlClient } from '../support/graphql-client';
import { ServiceProcess, startProcessPlatform, type ProcessPlatform } from '../support/process-platform';
import { subscribeSse, subscribeWs, untilSubgraphSubscriptions, untilSubscribed, wsClient } from '../support/subscription-clients';

const NATS_URL = process.env.NATS_URL;
const describeWithNats = NATS_URL ? describe : describe.skip;
if (!NATS_URL) console.warn('NATS_URL not set: skipping the two-replica subscription test (CI sets it)');

const ORDER_STATUS = 'subscription OrderStatus { orderStatusChanged { id status user { name } } }';

describeWithNats('subscriptions across replicas, fanned out through NATS', () => {
  let platform: ProcessPlatform;
  let secondOrders: ServiceProcess;
  let secondGateway: ServiceProcess;

  beforeAll(async () => {
    const nats = { NATS_URL: NATS_URL! };
    // Its own durable consumer, so loyalty tests on the same broker do not share it.
    platform = await startProcessPlatform({
      env: { orders: nats, users: { ...nats, EVENTS_CONSUMER: `test-subs-${randomUUID().slice(0, 8)}` } },
    });
    const [ordersHttp, ordersGrpc, gatewayHttp] = await Promise.all([freePort(), freePort(), freePort()]);
    const jwks = `${platform.users.url}/.well-known/jwks.json`;
    // A second orders replica on the same database, and a second gateway that routes to it.
    secondOrders = new ServiceProcess('orders', `http://127.0.0.1:${ordersHttp}`, {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      PORT: String(ordersHttp),
      GRPC_PORT: String(ordersGrpc),
      DATABASE_URL: platform.ordersDatabase.url,
      USER_SERVICE_ADDR: `127.0.0.1:${platform.ports.usersGrpc}`,
      JWKS_URL: jwks,
      ...nats,
    });
    await secondOrders.start();
    secondGateway = new ServiceProcess('gateway', `http://127.0.0.1:${gatewayHttp}`, {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      PORT: String(gatewayHttp),
      USERS_URL: `${platform.users.url}/graphql`,
      ORDERS_URL: `${secondOrders.url}/graphql`,
      JWKS_URL: jwks,
    });
    await secondGateway.start();
  });
  /** Live updates fan out only once a replica's NATS connection is up (made in the background after start). */
  async function untilLiveFeedConnected(service: ServiceProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!service.logLines().some((line) => line.msg === 'live events: NATS connected')) {
      if (Date.now() > deadline) throw new Error(`${service.url}: live feed not connected:\n${service.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  afterAll(async () => {
    await Promise.all([secondGateway?.kill('SIGTERM'), secondOrders?.kill('SIGTERM')]);
    await platform?.stop();
  });

  test('when a customer subscribes on one gateway (and orders replica) and orders through the other, then every change reaches them once, in order', async () => {
    await Promise.all([untilLiveFeedConnected(platform.orders), untilLiveFeedConnected(secondOrders)]);
    const throughSecond = graphqlClient(`${secondGateway.url}/graphql`);
    const signUp = await throughSecond<{ signUp: { token: string } }>(
      'mutation($input: SignUpInput!) { signUp(input: $input) { token } }',
      {
        input: { email: `${randomUUID()}@example.com`, password: 'replicated password', name: 'Replicated' },
      },
    );
    const token = signUp.data!.signUp.token;
    const client = wsClient(platform.gateway.url, token);
    const overWs = subscribeWs(client, ORDER_STATUS);
    const overSse = subscribeSse(platform.gateway.url, token, ORDER_STATUS);
    await untilSubscribed(platform.gateway.url, 2, platform.orders.url, 1);

    const placed = await throughSecond<{ placeOrder: { id: string } }>(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: randomUUID() } },
      { token },
    );
    expect(placed.errors).toEqual([]);
    const orderId = placed.data!.placeOrder.id;
    const cancelled = await throughSecond('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: orderId }, { token });
    expect(cancelled.errors).toEqual([]);

    for (const subscription of [overWs, overSse]) {
      expect((await subscription.results.next()).data?.orderStatusChanged).toEqual({
        id: orderId,
        status: 'CONFIRMED',
        user: { name: 'Replicated' },
      });
      expect((await subscription.results.next()).data?.orderStatusChanged).toEqual({
        id: orderId,
        status: 'CANCELLED',
        user: { name: 'Replicated' },
      });
    }
    overWs.stop();
    overSse.stop();
    await untilSubgraphSubscriptions(platform.orders.url, 0);
    expect(overWs.results.all()).toHaveLength(2);
    expect(overSse.results.all()).toHaveLength(2);
    await client.dispose();
  });
});
