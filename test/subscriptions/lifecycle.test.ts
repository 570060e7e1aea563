import { startProcessPlatform, type ProcessPlatform } from '../support/process-platform';
import { subscribeSse, subscribeWs, untilSubgraphSubscriptions, untilSubscribed, wsClient } from '../support/subscription-clients';
import { placeKeyboardOrder, signUpCustomer } from './support/shop';

const ORDER_STATUS = 'subscription OrderStatus { orderStatusChanged { id status user { name } } }';

describe('subscriptions when processes stop (compiled services, each its own process)', () => {
  let platform: ProcessPlatform;
  beforeEach(async () => {
    platform = await startProcessPlatform({ env: { gateway: { SHUTDOWN_TIMEOUT_MS: '6000' } } });
  });
  afterEach(async () => {
    await platform?.stop();
  });

  test('when the gateway gets SIGTERM with active subscribers, then events already committed are delivered, WebSocket clients are closed with 1012, SSE streams end with SERVICE_UNAVAILABLE, and it exits 0 in time', async () => {
    const token = (await signUpCustomer(platform, 'Lifecycle')).token;
    let closeCode: number | undefined;
    const client = wsClient(platform.gateway.url, token, { onClosed: (event) => (closeCode = event.code) });
    const overWs = subscribeWs(client, ORDER_STATUS);
    const overSse = subscribeSse(platform.gateway.url, token, ORDER_STATUS);
    // The two are identical (one account, one document): they share one subscription on orders.
    await untilSubscribed(platform.gateway.url, 2, platform.orders.url, 1);
    const orderId = await placeKeyboardOrder(platform, token);
    expect((await overWs.results.next()).data?.orderStatusChanged).toMatchObject({ id: orderId, status: 'CONFIRMED' });
    expect((await overSse.results.next()).data?.orderStatusChanged).toMatchObject({ id: orderId, status: 'CONFIRMED' });

    const exit = await platform.gateway.kill('SIGTERM');

    // Exit code 0: it stopped by itself (past SHUTDOWN_TIMEOUT_MS it exits 1).
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await overWs.results.ended).toEqual({ error: expect.objectContaining({ code: 1012 }) });
    expect(closeCode).toBe(1012);
    const last = overSse.results.all().at(-1)!;
    expect(last.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await overSse.results.ended).toEqual({ complete: true });
    await untilSubgraphSubscriptions(platform.orders.url, 0);
    const lines = platform.gateway.logLines().filter((line) => line.msg === 'subscription');
    expect(lines.map((line) => line.reason)).toEqual(['shutdown', 'shutdown']);
    await client.dispose();
  });

  test('when the subgraph that owns the subscription is killed, then its subscribers get SERVICE_UNAVAILABLE at once and the subscription ends', async () => {
    const token = (await signUpCustomer(platform, 'Lifecycle')).token;
    const client = wsClient(platform.gateway.url, token);
    const overWs = subscribeWs(client, ORDER_STATUS);
    const overSse = subscribeSse(platform.gateway.url, token, ORDER_STATUS);
    // The two are identical (one account, one document): they share one subscription on orders.
    await untilSubscribed(platform.gateway.url, 2, platform.orders.url, 1);

    await platform.orders.kill('SIGKILL');

    for (const subscription of [overWs, overSse]) {
      const last = await subscription.results.next();
      expect(last.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(last.errors?.[0]?.extensions?.retryable).toBe(true);
      expect(await subscription.results.ended).toEqual({ complete: true });
    }
    await client.dispose();
  });
});
