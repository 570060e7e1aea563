import { errorCodes } from '../support/graphql-client';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id totalCents } }`;
const LOYALTY = '{ me { tier lifetimeSpendCents } }';

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('loyalty tiers from order events (the story)', () => {
  let platform: TestPlatform;
  let adminToken: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ ordersEnv: { OUTBOX_POLL_MS: '50' } });
    adminToken = (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!
      .signIn.token;
    const saved = await platform.gql(
      `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku } }`,
      { input: { sku: 'VIP-1', name: 'Pricey thing', priceCents: 30_000, currency: 'USD', stock: 1_000 } },
      { token: adminToken },
    );
    expect(saved.errors).toEqual([]);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when a customer orders enough, then their tier rises to SILVER and GOLD; when orders are cancelled, then it counts back down', async () => {
    const { gql } = platform;
    const signUp = await gql(`mutation { signUp(input: { email: "vip@example.com", password: "vip-password", name: "Vip" }) { token } }`);
    const token = signUp.data!.signUp.token as string;
    expect((await gql(LOYALTY, {}, { token })).data!.me).toEqual({ tier: 'STANDARD', lifetimeSpendCents: 0 });

    const ids: string[] = [];
    const place = async (quantity: number, key: string) => {
      const placed = await gql(PLACE, { input: { items: [{ sku: 'VIP-1', quantity }], idempotencyKey: key } }, { token });
      expect(placed.errors).toEqual([]);
      ids.push(placed.data!.placeOrder.id);
    };
    const loyaltyIs = (tier: string, spend: number) =>
      until(async () => {
        const me = (await gql(LOYALTY, {}, { token })).data!.me;
        return me.tier === tier && me.lifetimeSpendCents === spend ? me : undefined;
      }, `${tier} at ${spend}`);

    await place(4, 'vip-1'); // 120000
    await loyaltyIs('SILVER', 120_000);
    await place(14, 'vip-2'); // +420000 = 540000
    await place(14, 'vip-2'); // same key: the same order, no second event
    await loyaltyIs('GOLD', 540_000);
    await gql(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: ids[1] }, { token });
    await loyaltyIs('SILVER', 120_000);

    const other = await gql(
      `mutation { signUp(input: { email: "nosy@example.com", password: "nosy-password", name: "Nosy" }) { token user { id } } }`,
    );
    const me = await gql('{ me { id } }', {}, { token });
    const peek = await gql(`query($id: ID!) { user(id: $id) { tier } }`, { id: me.data!.me.id }, { token: other.data!.signUp.token });
    expect(errorCodes(peek)).toEqual(['FORBIDDEN']);
    const byAdmin = await gql(
      `query($id: ID!) { user(id: $id) { tier lifetimeSpendCents } }`,
      { id: me.data!.me.id },
      { token: adminToken },
    );
    expect(byAdmin.data!.user).toEqual({ tier: 'SILVER', lifetimeSpendCents: 120_000 });
  });
});
