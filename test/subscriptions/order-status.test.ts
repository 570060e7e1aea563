import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';
import { subscribeSse, subscribeWs, untilOutboxPublished, untilSubgraphSubscriptions, wsClient } from '../support/subscription-clients';
import { placeKeyboardOrder, signUpCustomer } from './support/shop';

const ORDER_STATUS = /* GraphQL */ `
  subscription OrderStatus($orderId: ID) {
    orderStatusChanged(orderId: $orderId) {
      id
      status
      totalCents
      user {
        name
        tier
      }
      items {
        quantity
        product {
          name
        }
      }
    }
  }
`;
const SHIP = /* GraphQL */ `
  mutation Ship($id: ID!) {
    shipOrder(id: $id) {
      id
      status
    }
  }
`;
const CANCEL = /* GraphQL */ `
  mutation Cancel($id: ID!) {
    cancelOrder(id: $id) {
      id
      status
    }
  }
`;

async function signIn(platform: TestPlatform, email: string, password: string): Promise<string> {
  const response = await platform.gql<{ signIn: { token: string } }>(
    'mutation SignIn($input: SignInInput!) { signIn(input: $input) { token } }',
    {
      input: { email, password },
    },
  );
  return response.data!.signIn.token;
}

describe('orderStatusChanged through the gateway (services in this process, in-process events)', () => {
  let platform: TestPlatform;
  let adminToken: string;
  beforeAll(async () => {
    platform = await startTestPlatform();
    adminToken = await signIn(platform, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when a customer subscribes over WebSocket and orders, an admin ships and the customer cancels, then each change arrives in order with user { name tier } from the users subgraph', async () => {
    const ada = await signUpCustomer(platform, 'Ada Lovelace');
    const client = wsClient(platform.gatewayUrl, ada.token);
    const subscription = subscribeWs(client, ORDER_STATUS);
    await untilSubgraphSubscriptions(platform.ordersUrl, 1);

    const shippedId = await placeKeyboardOrder(platform, ada.token);
    expect((await subscription.results.next()).data).toEqual({
      orderStatusChanged: {
        id: shippedId,
        status: 'CONFIRMED',
        totalCents: expect.any(Number),
        user: { name: 'Ada Lovelace', tier: 'STANDARD' },
        items: [{ quantity: 1, product: { name: expect.any(String) } }],
      },
    });

    expect((await platform.gql(SHIP, { id: shippedId }, { token: adminToken })).errors).toEqual([]);
    const shipped = await subscription.results.next();
    expect(shipped.data?.orderStatusChanged).toMatchObject({ id: shippedId, status: 'SHIPPED', user: { name: 'Ada Lovelace' } });

    const cancelledId = await placeKeyboardOrder(platform, ada.token);
    expect((await subscription.results.next()).data?.orderStatusChanged).toMatchObject({ id: cancelledId, status: 'CONFIRMED' });
    expect((await platform.gql(CANCEL, { id: cancelledId }, { token: ada.token })).errors).toEqual([]);
    const cancelled = await subscription.results.next();
    expect(cancelled.data?.orderStatusChanged).toMatchObject({
      id: cancelledId,
      status: 'CANCELLED',
      user: { name: 'Ada Lovelace', tier: expect.any(String) },
    });
    expect(subscription.results.all().every((result) => result.errors === undefined)).toBe(true);

    subscription.stop();
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
    await client.dispose();
  });

  test('when a customer subscribes to one order over SSE, then only that order’s changes arrive, and other orders of the account do not', async () => {
    const grace = await signUpCustomer(platform, 'Grace Hopper');
    const watched = await placeKeyboardOrder(platform, grace.token);
    await untilOutboxPublished(platform.ordersDatabase.url);
    const subscription = subscribeSse(platform.gatewayUrl, grace.token, ORDER_STATUS, { orderId: watched });
    await untilSubgraphSubscriptions(platform.ordersUrl, 1);

    const other = await placeKeyboardOrder(platform, grace.token);
    await platform.gql(SHIP, { id: other }, { token: adminToken });
    await platform.gql(SHIP, { id: watched }, { token: adminToken });

    const first = await subscription.results.next();
    expect(first.data?.orderStatusChanged).toMatchObject({
      id: watched,
      status: 'SHIPPED',
      user: { name: 'Grace Hopper', tier: 'STANDARD' },
    });
    subscription.stop();
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
    expect(subscription.results.all()).toHaveLength(1);
  });
});
