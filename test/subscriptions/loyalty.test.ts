import { randomUUID } from 'node:crypto';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';
import { subscribeSse, subscribeWs, untilSubgraphSubscriptions, untilSubscribed, wsClient } from '../support/subscription-clients';

const MY_LOYALTY = /* GraphQL */ `
  subscription MyLoyalty {
    myLoyaltyChanged {
      name
      tier
      lifetimeSpendCents
      orders(first: 5) {
        totalCount
      }
    }
  }
`;

describe('myLoyaltyChanged through the gateway (services in this process, in-process events)', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
    const admin = await platform.gql('mutation($input: SignInInput!) { signIn(input: $input) { token } }', { input: TEST_ADMIN });
    const saved = await platform.gql(
      'mutation($input: ProductInput!) { upsertProduct(input: $input) { sku } }',
      { input: { sku: 'GOLD-BAR', name: 'A gold bar', priceCents: 100_000, currency: 'USD', stock: 1_000 } },
      { token: admin.data!.signIn.token },
    );
    expect(saved.errors).toEqual([]);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when a customer’s order takes them past 500000 cents, then the subscription (WebSocket and SSE alike) shows them GOLD after the loyalty consumer committed, with orders { totalCount } from the orders subgraph; cancelling shows them STANDARD again', async () => {
    const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email: `${randomUUID()}@example.com`, password: 'gold-member-password', name: 'Midas' },
    });
    const token = signUp.data!.signUp.token;
    const client = wsClient(platform.gatewayUrl, token);
    const overWs = subscribeWs(client, MY_LOYALTY);
    const overSse = subscribeSse(platform.gatewayUrl, token, MY_LOYALTY);
    await untilSubscribed(platform.gatewayUrl, 2, platform.usersUrl, 1);

    const placed = await platform.gql<{ placeOrder: { id: string } }>(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ sku: 'GOLD-BAR', quantity: 6 }], idempotencyKey: randomUUID() } },
      { token },
    );
    expect(placed.errors).toEqual([]);
    const gold = { myLoyaltyChanged: { name: 'Midas', tier: 'GOLD', lifetimeSpendCents: 600_000, orders: { totalCount: 1 } } };
    expect(await overWs.results.next()).toEqual({ data: gold });
    expect(await overSse.results.next()).toEqual({ data: gold });

    await platform.gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placed.data!.placeOrder.id }, { token });
    const standard = { myLoyaltyChanged: { name: 'Midas', tier: 'STANDARD', lifetimeSpendCents: 0, orders: { totalCount: 1 } } };
    expect(await overWs.results.next()).toEqual({ data: standard });
    expect(await overSse.results.next()).toEqual({ data: standard });

    overWs.stop();
    overSse.stop();
    await untilSubgraphSubscriptions(platform.usersUrl, 0);
    await client.dispose();
  });
});
