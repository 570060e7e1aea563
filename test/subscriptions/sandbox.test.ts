import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';
import { subscribeWs, untilSubgraphSubscriptions, wsClient } from '../support/subscription-clients';
import { placeKeyboardOrder, signUpCustomer } from './support/shop';

const ORDER_STATUS = /* GraphQL */ `
  subscription OrderStatus {
    orderStatusChanged {
      id
      status
      user {
        name
      }
    }
  }
`;

interface Frame {
  type: string;
  id?: string;
  payload?: any;
}

/**
 * A WebSocket that speaks graphql-transport-ws frame by frame, as Apollo Sandbox's browser tab
 * does: same Origin as the gateway (the Sandbox the gateway embeds), the protocol's
 * subprotocol, and frames read in the order they arrive.
 */
async function sandboxSocket(gatewayUrl: string): Promise<{ send(frame: Frame): void; next(): Promise<Frame>; close(): void }> {
  const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { origin: gatewayUrl });
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  let closed: number | null = null;
  socket.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString('utf8')) as Frame);
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('close', (code) => {
    closed = code;
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    send: (frame) => socket.send(JSON.stringify(frame)),
    async next() {
      while (frames.length === 0) {
        if (closed !== null) throw new Error(`the socket closed with ${closed} before the next frame`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return frames.shift()!;
    },
    close: () => socket.close(1000),
  };
}

/**
 * Apollo Sandbox (the Explorer the gateway embeds in development) subscribes over
 * graphql-transport-ws. It opens a first connection whose connection_init has no payload, and
 * only then one whose payload holds the headers of its connection settings, flat
 * (`{"Authorization": "Bearer …"}`); clients that copy their HTTP headers send them under
 * `headers`. Refusing the first would leave Sandbox without a second.
 */
describe('subscriptions from Apollo Sandbox', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when Sandbox opens a connection with an empty connection_init, then it is acknowledged (anonymous), not closed', async () => {
    const socket = await sandboxSocket(platform.gatewayUrl);
    socket.send({ type: 'connection_init' });

    expect(await socket.next()).toMatchObject({ type: 'connection_ack' });
    socket.close();
  });

  test('when Sandbox connects with its connection settings ({"Authorization": "Bearer …"}) and subscribes, then the account’s order changes arrive', async () => {
    const token = (await signUpCustomer(platform, 'Sandbox User')).token;
    const socket = await sandboxSocket(platform.gatewayUrl);
    socket.send({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } });
    expect(await socket.next()).toMatchObject({ type: 'connection_ack' });
    socket.send({ id: '1', type: 'subscribe', payload: { query: ORDER_STATUS, operationName: 'OrderStatus', variables: {} } });
    await untilSubgraphSubscriptions(platform.ordersUrl, 1);

    const orderId = await placeKeyboardOrder(platform, token);

    expect(await socket.next()).toEqual({
      id: '1',
      type: 'next',
      payload: { data: { orderStatusChanged: { id: orderId, status: 'CONFIRMED', user: { name: 'Sandbox User' } } } },
    });
    socket.send({ id: '1', type: 'complete' });
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
    socket.close();
  });

  test('when a client copies its HTTP headers into the payload ({"headers": {"Authorization": …}}), then it is the same caller', async () => {
    const token = (await signUpCustomer(platform, 'Header Copier')).token;
    const client = wsClient(platform.gatewayUrl, null, { connectionParams: { headers: { Authorization: `Bearer ${token}` } } });
    const subscription = subscribeWs(client, ORDER_STATUS);
    await untilSubgraphSubscriptions(platform.ordersUrl, 1);

    const orderId = await placeKeyboardOrder(platform, token);

    expect((await subscription.results.next()).data).toEqual({
      orderStatusChanged: { id: orderId, status: 'CONFIRMED', user: { name: 'Header Copier' } },
    });
    subscription.stop();
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
    await client.dispose();
  });
});
