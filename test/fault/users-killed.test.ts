import pg from 'pg';
import { errorCodes } from '../support/graphql-client';
import { startProcessPlatform, type ProcessPlatform } from '../support/process-platform';
import { TEST_ADMIN } from '../support/test-platform';

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;
const SKU = 'FAULT-1';
const INITIAL_STOCK = 500;

describe('fault: the users subgraph is killed while clients place orders', () => {
  let platform: ProcessPlatform;
  let ordersDb: pg.Pool;
  let token: string;
  let key = 0;
  const placed: string[] = [];

  const placeOrder = async () => {
    const started = Date.now();
    const response = await platform.gql(PLACE, { input: { items: [{ sku: SKU, quantity: 1 }], idempotencyKey: `k-${key++}` } }, { token });
    if (response.data?.placeOrder) placed.push(response.data.placeOrder.id);
    return { response, ms: Date.now() - started };
  };

  beforeAll(async () => {
    platform = await startProcessPlatform();
    ordersDb = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
    const admin = (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!
      .signIn.token;
    const saved = await platform.gql(
      `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku } }`,
      { input: { sku: SKU, name: 'Fault widget', priceCents: 100, currency: 'USD', stock: INITIAL_STOCK } },
      { token: admin },
    );
    expect(saved.errors).toEqual([]);
    token = (
      await platform.gql(`mutation { signUp(input: { email: "faulty@example.com", password: "faulty-password", name: "F" }) { token } }`)
    ).data!.signUp.token;
  }, 120_000);
  afterAll(async () => {
    await ordersDb?.end();
    await platform?.stop();
  });

  test('when users dies, then placeOrder fails fast with a retryable SERVICE_UNAVAILABLE; when it is back, then orders flow again and no stock is lost', async () => {
    for (let i = 0; i < 3; i++) expect((await placeOrder()).response.errors).toEqual([]);

    await platform.users.kill('SIGKILL');
    const whileDown = [];
    for (let i = 0; i < 12; i++) whileDown.push(await placeOrder());
    for (const { response, ms } of whileDown) {
      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.errors[0]!.extensions!.retryable).toBe(true);
      expect(ms).toBeLessThan(2_000);
    }
    // Once the breaker is open the answer no longer waits on the network at all.
    expect(Math.min(...whileDown.slice(-5).map((call) => call.ms))).toBeLessThan(500);
    // Log lines are flushed in batches (every 250 ms): give the breaker's line its batch.
    for (let waited = 0; !platform.orders.logs().includes('circuit breaker to users is open') && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(platform.orders.logs()).toContain('circuit breaker to users is open');

    await platform.users.start();
    const deadline = Date.now() + 15_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      const { response } = await placeOrder();
      recovered = response.errors.length === 0;
      if (!recovered) {
        expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(recovered).toBe(true);

    // Nothing orphaned, nothing lost: exactly the acknowledged orders exist and took their stock.
    const orders = await ordersDb.query('SELECT id FROM orders');
    expect(orders.rows.map((row) => row.id).sort()).toEqual([...placed].sort());
    const stock = (await ordersDb.query('SELECT stock FROM products WHERE sku = $1', [SKU])).rows[0].stock;
    expect(stock).toBe(INITIAL_STOCK - placed.length);
  }, 120_000);
});
