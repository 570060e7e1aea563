import pg from 'pg';
import { errorCodes } from '../support/graphql-client';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;

describe('fault: contention on one product', () => {
  let platform: TestPlatform;
  let ordersDb: pg.Pool;
  let adminToken: string;
  const customers: string[] = [];

  const setStock = async (sku: string, stock: number) => {
    const saved = await platform.gql(
      `mutation($input: ProductInput!) { upsertProduct(input: $input) { stock } }`,
      { input: { sku, name: `Contended ${sku}`, priceCents: 250, currency: 'USD', stock } },
      { token: adminToken },
    );
    expect(saved.errors).toEqual([]);
  };

  beforeAll(async () => {
    platform = await startTestPlatform();
    ordersDb = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
    adminToken = (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!
      .signIn.token;
    for (let i = 0; i < 20; i++) {
      const signUp = await platform.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, {
        input: { email: `buyer${i}@example.com`, password: 'buyer-password', name: `Buyer ${i}` },
      });
      customers.push(signUp.data!.signUp.token);
    }
  }, 120_000);
  afterAll(async () => {
    await ordersDb?.end();
    await platform?.stop();
  });

  test('when 20 users send 200 concurrent orders for 50 units, then exactly 50 succeed and stock ends at 0', async () => {
    await setStock('HOT-1', 50);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        platform.gql(
          PLACE,
          { input: { items: [{ sku: 'HOT-1', quantity: 1 }], idempotencyKey: `hot-${i}` } },
          { token: customers[i % 20] },
        ),
      ),
    );
    const succeeded = responses.filter((response) => response.errors.length === 0);
    const refused = responses.filter((response) => response.errors.length > 0);
    expect(succeeded).toHaveLength(50);
    for (const response of refused) expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(responses.every((response) => response.status === 200)).toBe(true);

    const stock = (await ordersDb.query(`SELECT stock FROM products WHERE sku = 'HOT-1'`)).rows[0].stock;
    expect(stock).toBe(0);
    const sold = (await ordersDb.query(`SELECT coalesce(sum(quantity), 0)::int AS sold FROM order_items WHERE sku = 'HOT-1'`)).rows[0].sold;
    expect(sold).toBe(50);
  }, 120_000);

  test('when orders of two products are cancelled while others for the same two are placed, then none fails and stock adds up', async () => {
    await setStock('PAIR-A', 1_000);
    await setStock('PAIR-B', 1_000);
    // Item lists in both orders: sku order must not matter to the locks.
    const items = (i: number) =>
      i % 2 === 0
        ? [
            { sku: 'PAIR-A', quantity: 1 },
            { sku: 'PAIR-B', quantity: 2 },
          ]
        : [
            { sku: 'PAIR-B', quantity: 2 },
            { sku: 'PAIR-A', quantity: 1 },
          ];
    const first = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        platform.gql(PLACE, { input: { items: items(i), idempotencyKey: `pair-first-${i}` } }, { token: customers[i % 20] }),
      ),
    );
    for (const response of first) expect(response.errors).toEqual([]);

    const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { status } }`;
    const mixed = await Promise.all([
      ...first.map((response, i) => platform.gql(CANCEL, { id: response.data!.placeOrder.id }, { token: customers[i % 20] })),
      ...Array.from({ length: 40 }, (_, i) =>
        platform.gql(PLACE, { input: { items: items(i + 1), idempotencyKey: `pair-second-${i}` } }, { token: customers[i % 20] }),
      ),
    ]);

    for (const response of mixed) expect(response.errors).toEqual([]);
    const stock = (await ordersDb.query(`SELECT sku, stock FROM products WHERE sku IN ('PAIR-A', 'PAIR-B') ORDER BY sku`)).rows;
    // 40 orders cancelled (stock back), 40 placed: 40 × 1 of A and 40 × 2 of B taken.
    expect(stock).toEqual([
      { sku: 'PAIR-A', stock: 960 },
      { sku: 'PAIR-B', stock: 920 },
    ]);
  }, 120_000);

  test('when one idempotency key is submitted 20 times at once, then one order exists', async () => {
    await setStock('HOT-2', 100);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        platform.gql(PLACE, { input: { items: [{ sku: 'HOT-2', quantity: 3 }], idempotencyKey: 'double-click' } }, { token: customers[0] }),
      ),
    );
    for (const response of responses) expect(response.errors).toEqual([]);
    expect(new Set(responses.map((response) => response.data!.placeOrder.id)).size).toBe(1);
    const orders = (await ordersDb.query(`SELECT count(*)::int AS n FROM orders WHERE idempotency_key = 'double-click'`)).rows[0].n;
    expect(orders).toBe(1);
    const stock = (await ordersDb.query(`SELECT stock FROM products WHERE sku = 'HOT-2'`)).rows[0].stock;
    expect(stock).toBe(97);
  }, 60_000);
});
