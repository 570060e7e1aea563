import { randomUUID } from 'node:crypto';
import { captureLogger, readMetric } from '@fedshop/shared/testing';
import { loadConfig as loadGatewayConfig, startGateway, type RunningGateway } from '../../gateway/src';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { GENEROUS_RATE_LIMITS, startTestPlatform, type TestPlatform } from '../support/test-platform';
import { subscribeWs, untilSubgraphSubscriptions, wsClient } from '../support/subscription-clients';

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
      loadGatewayConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        USERS_URL: `http://127.0.0.1:${proxy.port}/graphql`,
        ORDERS_URL: `${platform.ordersUrl}/graphql`,
        JWKS_URL: `${platform.usersUrl}/.well-known/jwks.json`,
        ...GENEROUS_RATE_LIMITS,
        SUBSCRIPTION_BUFFER: '2',
      }),
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
