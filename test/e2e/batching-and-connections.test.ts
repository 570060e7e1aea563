import { startTestPlatform, readMetric, TEST_ADMIN, type TestPlatform } from '../support/test-platform';

const FAN_OUT = /* GraphQL */ `
  query AdminFanOut($first: Int!) {
    users(first: $first) {
      edges {
        node {
          name
          orders(first: 5) {
            totalCount
            edges {
              node {
                totalCents
                items {
                  quantity
                  product {
                    name
                    priceCents
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`;

/** Benchmark scenario 3: counts only, so the orders subgraph never loads a page. */
const FAN_OUT_COUNTS = /* GraphQL */ `
  query AdminFanOutCounts($first: Int!) {
    users(first: $first) {
      edges {
        node {
          name
          orders(first: 5) {
            totalCount
          }
        }
      }
    }
  }
`;

describe('batching and connection reuse through the gateway', () => {
  let platform: TestPlatform;
  let adminToken: string;

  const statements = async () => ({
    users: await readMetric(platform.usersUrl, 'db_client_statements_total', { origin: 'request' }),
    orders: await readMetric(platform.ordersUrl, 'db_client_statements_total', { origin: 'request' }),
  });

  beforeAll(async () => {
    platform = await startTestPlatform();
    const { gql } = platform;
    adminToken = (await gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!.signIn
      .token;
    const skus = ['KB-001', 'MS-001', 'CB-001', 'CB-002', 'PD-001'];
    for (let i = 0; i < 50; i++) {
      const signUp = await gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, {
        input: { email: `shopper${i}@example.com`, password: 'shopper-password', name: `Shopper ${i}` },
      });
      const token = signUp.data!.signUp.token;
      for (let n = 0; n < 2; n++) {
        const placed = await gql(
          `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
          {
            input: {
              items: [
                { sku: skus[(i + n) % skus.length], quantity: 1 },
                { sku: skus[(i + n + 1) % skus.length], quantity: 1 },
              ],
              idempotencyKey: `seed-${i}-${n}`,
            },
          },
          { token },
        );
        expect(placed.errors).toEqual([]);
      }
    }
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  async function costOf(first: number, query = FAN_OUT) {
    const before = await statements();
    const response = await platform.gql(query, { first }, { token: adminToken });
    expect(response.errors).toEqual([]);
    const after = await statements();
    const withOrders = response.data!.users.edges.filter(
      (edge: { node: { orders: { totalCount: number } } }) => edge.node.orders.totalCount > 0,
    );
    return {
      users: after.users - before.users,
      orders: after.orders - before.orders,
      returned: response.data!.users.edges.length,
      withOrders: withOrders.length,
    };
  }

  test('when an admin reads 5 or 50 users with their orders, items and products, then the SQL statement count is the same', async () => {
    const small = await costOf(5);
    const large = await costOf(50);
    expect(small.returned).toBe(5);
    expect(large.returned).toBe(50);
    expect(large.withOrders).toBeGreaterThanOrEqual(49);
    expect(large.users).toBe(small.users);
    expect(large.orders).toBe(small.orders);
    // One statement per loader, not per row: a handful in all.
    expect(large.orders).toBeLessThanOrEqual(6);
  });

  test('when an admin reads 5 or 50 users with only their order counts, then the orders subgraph sends exactly one statement', async () => {
    const small = await costOf(5, FAN_OUT_COUNTS);
    const large = await costOf(50, FAN_OUT_COUNTS);
    expect(large.returned).toBe(50);
    expect(large.withOrders).toBeGreaterThanOrEqual(49);
    expect(small.orders).toBe(1);
    expect(large.orders).toBe(1);
    expect(large.users).toBe(small.users);
  });

  test('when many requests pass through the gateway, then it reuses its connections to the subgraphs', async () => {
    const connections = async () =>
      (await readMetric(platform.usersUrl, 'http_server_connections_total')) +
      (await readMetric(platform.ordersUrl, 'http_server_connections_total'));
    const before = await connections();
    for (let i = 0; i < 30; i++) {
      const response = await platform.gql(`{ me { name orders(first: 1) { totalCount } } }`, {}, { token: adminToken });
      expect(response.errors).toEqual([]);
    }
    // 30 requests × 2 subgraphs would open 60 connections without keep-alive (the /metrics reads here add at most 2).
    expect((await connections()) - before).toBeLessThanOrEqual(6);
  });
});
