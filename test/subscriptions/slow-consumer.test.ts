import { randomUUID } from 'node:crypto';
import { captureLogger, readMetric } from '@fedshop/shared/testing';
import WebSocket from 'ws';
import { loadConfig as loadGatewayConfig, startGateway, type RunningGateway } from '../../gateway/src';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { gatewayEnvFor, startTestPlatform, type TestPlatform } from '../support/test-platform';
import { subscribeWs, untilOutboxPublished, untilSubgraphSubscriptions, untilSubscribed, wsClient } from '../support/subscription-clients';

describe('a subscriber that falls behind', () => {
  let platform: TestPlatform;
  let proxy: TcpProxy;
  let gateway: RunningGateway;
  const gatewayLogs = captureLogger('gateway-small-buffer');
  beforeAll(async () => {
    platform = await startTestPlatform();
    const users = new URL(platform.usersUrl);
    proxy = await startTcpProxy(users.hostname, Number(users.port));
    // A gateway whose subscribers may have 2 events waiting, reaching users through a proxy the test can stall.
    gateway = await startGateway(
      loadGatewayConfig(gatewayEnvFor(platform, { USERS_URL: `http://127.0.0.1:${proxy.port}/graphql`, SUBSCRIPTION_BUFFER: '2' })),
      { logger: gatewayLogs.logger },
    );
  });
  afterAll(async () => {
    proxy?.unstall();
    await gateway?.stop();
    await proxy?.close();
    await platform?.stop();
  });

  test('when more events wait for a subscriber than SUBSCRIPTION_BUFFER, then it is disconnected with 4900, counted, and the gateway holds no more of its events', async () => {
    const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email: `${randomUUID()}@example.com`, password: 'slow reader password', name: 'Slow' },
    });
    const token = signUp.data!.signUp.token;
    let closeCode: number | undefined;
    const client = wsClient(gateway.url, token, { onClosed: (event) => (closeCode = event.code) });
    const subscription = subscribeWs(client, 'subscription Slow { orderStatusChanged { id status user { name } } }');
    await untilSubgraphSubscriptions(platform.ordersUrl, 1);

    // Each event needs `user { name }` from users, which now never answers: events pile up.
    proxy.stall();
    for (let i = 0; i < 4; i++) {
      const placed = await platform.gql(
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        {
          input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: randomUUID() },
        },
        { token },
      );
      expect(placed.errors).toEqual([]);
    }

    expect(await subscription.results.ended).toEqual({ error: expect.objectContaining({ code: 4900 }) });
    expect(closeCode).toBe(4900);
    expect(await readMetric(gateway.url, 'gateway_subscription_slow_consumers_total', { transport: 'ws' })).toBe(1);
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
    expect(await readMetric(gateway.url, 'gateway_subscriptions_active')).toBe(0);
    const ended = gatewayLogs.lines().find((line) => line.msg === 'subscription');
    expect(ended).toMatchObject({ reason: 'slow', operation: 'Slow', transport: 'ws' });
    expect(await readMetric(gateway.url, 'gateway_subscription_events_total', { result: 'dropped' })).toBeGreaterThanOrEqual(1);
    await client.dispose();
  });
});

/** Every field of an order and its lines, to make each event large. */
const ORDER_FIELDS = 'id status totalCents currency createdAt items { quantity unitPriceCents product { sku name priceCents currency } }';
/**
 * Each event carries the account's orders 40 times over (hundreds of KiB): a client that stops
 * reading fills its socket's kernel buffers (a few MiB on loopback) within a few events.
 */
const LARGE_EVENTS = `subscription Large { orderStatusChanged { id ${Array.from(
  { length: 40 },
  (_, i) => `copy${i}: user { orders(first: 100) { edges { node { ${ORDER_FIELDS} } } } }`,
).join(' ')} } }`;

describe('a subscriber that falls behind while sharing its subscription with another client', () => {
  let platform: TestPlatform;
  let gateway: RunningGateway;
  const gatewayLogs = captureLogger('gateway-shared-slow');
  beforeAll(async () => {
    // Large events keep this process busy: orders' call to users while placing an order gets more than its default 1 s.
    platform = await startTestPlatform({ ordersEnv: { GRPC_DEADLINE_MS: '10000' } });
    gateway = await startGateway(
      loadGatewayConfig(
        gatewayEnvFor(platform, {
          SUBSCRIPTION_BUFFER: '2',
          // The client that stops reading does not answer pings either: it must be cut as slow, not as gone.
          SUBSCRIPTION_KEEPALIVE_MS: '600000',
          OPERATION_MAX_ALIASES: '100',
          OPERATION_MAX_TOKENS: '100000',
          OPERATION_MAX_COST: '100000000',
        }),
      ),
      { logger: gatewayLogs.logger },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await platform?.stop();
  });

  const placeOrder = async (token: string): Promise<string> => {
    const placed = await platform.gql<{ placeOrder: { id: string } }>(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      {
        input: {
          items: ['CB-001', 'CB-002', 'PD-001'].map((sku) => ({ sku, quantity: 1 })),
          idempotencyKey: randomUUID(),
        },
      },
      { token },
    );
    expect(placed.errors).toEqual([]);
    return placed.data!.placeOrder.id;
  };

  test('when one of two clients holding the same subscription stops reading, then it alone is disconnected with 4900 and the other receives every event on the same upstream subscription', async () => {
    const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email: `${randomUUID()}@example.com`, password: 'shared slow password', name: 'Shared' },
    });
    const token = signUp.data!.signUp.token;
    for (let batch = 0; batch < 3; batch++) await Promise.all(Array.from({ length: 10 }, () => placeOrder(token)));
    await untilOutboxPublished(platform.ordersDatabase.url);

    const fastClient = wsClient(gateway.url, token);
    const fast = subscribeWs(fastClient, LARGE_EVENTS);
    // The slow client speaks graphql-transport-ws by hand, to stop reading its socket at will.
    const slow = new WebSocket(`${gateway.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const slowClosed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => slow.once('open', resolve).once('error', reject));
    const acknowledged = new Promise((resolve) => slow.once('message', resolve));
    slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await acknowledged;
    slow.send(JSON.stringify({ type: 'subscribe', id: 'slow', payload: { query: LARGE_EVENTS } }));
    await untilSubscribed(gateway.url, 2, platform.ordersUrl, 1);

    slow.pause();
    // One order at a time, each event received by the client that reads, until the other is cut off.
    let events = 0;
    while ((await readMetric(gateway.url, 'gateway_subscription_slow_consumers_total', { transport: 'ws' })) === 0) {
      if (events++ >= 60) throw new Error(`the client that stopped reading was not cut off after ${events} events`);
      const id = await placeOrder(token);
      expect((await fast.results.next()).data?.orderStatusChanged.id).toBe(id);
    }

    // The other client goes on, on the same upstream subscription.
    const after = await placeOrder(token);
    expect((await fast.results.next()).data?.orderStatusChanged.id).toBe(after);
    expect(await readMetric(platform.ordersUrl, 'graphql_subscriptions_active')).toBe(1);
    // The cut client reads what its socket still held, then the close.
    slow.resume();
    expect(await slowClosed).toBe(4900);
    await untilSubscribed(gateway.url, 1, platform.ordersUrl, 1);
    const ended = gatewayLogs.lines().filter((line) => line.msg === 'subscription');
    expect(ended).toEqual([expect.objectContaining({ reason: 'slow', operation: 'Large', transport: 'ws' })]);

    fast.stop();
    await untilSubscribed(gateway.url, 0, platform.ordersUrl, 0);
    await fastClient.dispose();
  });
});
