import { readMetric } from '@fedshop/shared/testing';
import WebSocket from 'ws';
import { loadConfig as loadGatewayConfig, startGateway, type RunningGateway } from '../../gateway/src';
import { gatewayEnvFor, startTestPlatform, type TestPlatform } from '../support/test-platform';
import { subscribeSse, subscribeWs, untilSubgraphSubscriptions, untilSubscribed, wsClient } from '../support/subscription-clients';
import { captureLogger } from '@fedshop/shared/testing';
import { placeKeyboardOrder, signUpCustomer } from './support/shop';

const ORDER_STATUS = /* GraphQL */ `
  subscription OrderStatus($orderId: ID) {
    orderStatusChanged(orderId: $orderId) {
      id
      status
      user {
        name
      }
    }
  }
`;

/** A POST asking for Server-Sent Events, read to its end (refusals are plain JSON). */
async function ssePost(gatewayUrl: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** A raw WebSocket on the gateway speaking graphql-transport-ws; resolves once open, or with its close code. */
function rawSocket(gatewayUrl: string): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

describe('subscription rules at the gateway', () => {
  let platform: TestPlatform;
  const subscriptionRequests = () => readMetric(platform.ordersUrl, 'graphql_subscription_requests_total');
  beforeAll(async () => {
    platform = await startTestPlatform({ gatewayEnv: { SUBSCRIPTIONS_PER_USER: '2', WS_CONNECTIONS_PER_IP: '3' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when connection_init carries a bad token, then the WebSocket is closed with 4401 and no subgraph is asked', async () => {
    const before = await subscriptionRequests();
    const client = wsClient(platform.gatewayUrl, null, { connectionParams: { authorization: 'Bearer not.a.token' } });
    const subscription = subscribeWs(client, ORDER_STATUS);

    expect(await subscription.results.ended).toEqual({ error: expect.objectContaining({ code: 4401 }) });
    expect(await subscriptionRequests()).toBe(before);
    await client.dispose();
  });

  test('when an SSE request carries a bad token, then it is answered 401 UNAUTHENTICATED and no subgraph is asked', async () => {
    const before = await subscriptionRequests();
    const { status, body } = await ssePost(platform.gatewayUrl, { query: ORDER_STATUS }, 'not.a.token');

    expect(status).toBe(401);
    expect(body.errors.map((error: any) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(await subscriptionRequests()).toBe(before);
  });

  test('when someone subscribes to another account’s order, then they get NOT_FOUND (as for order(id)) and the subscription ends', async () => {
    const owner = await signUpCustomer(platform, 'Owner');
    const orderId = await placeKeyboardOrder(platform, owner.token);
    const stranger = await signUpCustomer(platform, 'Stranger');
    const client = wsClient(platform.gatewayUrl, stranger.token);
    const subscription = subscribeWs(client, ORDER_STATUS, { orderId });

    const refused = await subscription.results.next();
    expect(refused.data).toBeNull();
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await subscription.results.ended).toEqual({ complete: true });
    await client.dispose();
  });

  test('when an anonymous client subscribes (WebSocket and SSE), then the subgraph answers UNAUTHENTICATED and the subscription ends', async () => {
    const client = wsClient(platform.gatewayUrl, null);
    const overWs = subscribeWs(client, ORDER_STATUS);
    const overSse = subscribeSse(platform.gatewayUrl, null, ORDER_STATUS);

    for (const subscription of [overWs, overSse]) {
      const refused = await subscription.results.next();
      expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(await subscription.results.ended).toEqual({ complete: true });
    }
    await client.dispose();
  });

  test('when an account opens more subscriptions than SUBSCRIPTIONS_PER_USER, then the next is refused with TOO_MANY_SUBSCRIPTIONS (WebSocket error, SSE 429) until one ends', async () => {
    const heavy = await signUpCustomer(platform, 'Heavy user');
    const client = wsClient(platform.gatewayUrl, heavy.token);
    const first = subscribeWs(client, ORDER_STATUS);
    const second = subscribeWs(client, ORDER_STATUS);
    // Identical, so they share one subscription on orders; the cap still counts each.
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);

    const third = subscribeWs(client, ORDER_STATUS);
    const refusal = (await third.results.ended) as { error: any[] };
    expect(refusal.error.map((error) => error.extensions?.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    expect(refusal.error[0].extensions.limit).toBe(2);
    const overSse = await ssePost(platform.gatewayUrl, { query: ORDER_STATUS }, heavy.token);
    expect(overSse.status).toBe(429);
    expect(overSse.body.errors.map((error: any) => error.extensions.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);

    first.stop();
    await untilSubscribed(platform.gatewayUrl, 1, platform.ordersUrl, 1);
    const again = subscribeWs(client, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);
    const orderId = await placeKeyboardOrder(platform, heavy.token);
    expect((await again.results.next()).data?.orderStatusChanged).toMatchObject({ id: orderId, status: 'CONFIRMED' });
    expect((await second.results.next()).data?.orderStatusChanged).toMatchObject({ id: orderId, status: 'CONFIRMED' });
    second.stop();
    again.stop();
    await client.dispose();
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
  });

  test('when one address opens more WebSocket connections than WS_CONNECTIONS_PER_IP, then the next is closed with 4929 until one closes', async () => {
    const open = await Promise.all([1, 2, 3].map(() => rawSocket(platform.gatewayUrl)));
    const refused = await rawSocket(platform.gatewayUrl);
    expect(await refused.closed).toBe(4929);

    open[0]!.socket.close();
    await open[0]!.closed;
    while ((await readMetric(platform.gatewayUrl, 'gateway_subscription_connections', { transport: 'ws' })) !== 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const admitted = await rawSocket(platform.gatewayUrl);
    admitted.socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    const ack = await new Promise<string>((resolve) => admitted.socket.once('message', (data) => resolve(String(data))));
    expect(JSON.parse(ack)).toEqual({ type: 'connection_ack' });
    for (const { socket } of [...open.slice(1), admitted]) socket.close();
  });

  test('when a subscription is sent as a plain JSON POST, then it is refused with BAD_REQUEST naming the transports', async () => {
    const response = await platform.gql(ORDER_STATUS, {}, {});
    expect(response.status).toBe(400);
    expect(response.errors.map((error) => error.extensions?.code)).toEqual(['BAD_REQUEST']);
    expect(response.errors[0]!.message).toMatch(/WebSocket .* Server-Sent Events/);
  });

  test('when a subscription breaks an operation limit, then it is refused with the limit’s code before any subgraph is asked', async () => {
    const before = await subscriptionRequests();
    const deep = await ssePost(
      platform.gatewayUrl,
      {
        query:
          'subscription { orderStatusChanged { user { orders { edges { node { user { orders { edges { node { items { product { name } } } } } } } } } } } }',
      },
      (await signUpCustomer(platform)).token,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.errors.map((error: any) => error.extensions.code)).toEqual(['OPERATION_TOO_DEEP']);
    expect(await subscriptionRequests()).toBe(before);
  });
});

describe('subscription rules with the production edge settings', () => {
  let platform: TestPlatform;
  let gateway: RunningGateway;
  beforeAll(async () => {
    platform = await startTestPlatform();
    // A second gateway on the same subgraphs: safelist mode and the real per-user rate limit budget, tiny.
    gateway = await startGateway(
      loadGatewayConfig(
        gatewayEnvFor(platform, {
          RATE_LIMIT_USER_PER_MIN: '2',
          PERSISTED_QUERIES: 'safelist',
        }),
      ),
      { logger: captureLogger('gateway-safelist').logger },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await platform?.stop();
  });

  test('when the safelist is on, then a subscription that is not listed is refused with PERSISTED_QUERY_NOT_IN_LIST; past the rate limit, with RATE_LIMITED', async () => {
    const { token } = await signUpCustomer(platform);
    const client = wsClient(gateway.url, token);
    const unlisted = subscribeWs(client, ORDER_STATUS);
    const refusal = (await unlisted.results.ended) as { error: any[] };
    expect(refusal.error.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);

    const again = subscribeWs(client, ORDER_STATUS);
    await again.results.ended;
    const limited = subscribeWs(client, ORDER_STATUS);
    const tooMany = (await limited.results.ended) as { error: any[] };
    expect(tooMany.error.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    await client.dispose();
  });
});
