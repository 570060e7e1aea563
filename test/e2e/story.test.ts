import { errorCodes, type GraphQLSend } from '../support/graphql-client';
import { startProcessPlatform } from '../support/process-platform';
import { startTestPlatform, TEST_ADMIN } from '../support/test-platform';

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        name
        email
        role
        status
        createdAt
      }
    }
  }
`;
const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
      user {
        id
        email
        role
      }
    }
  }
`;
const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      totalCents
      currency
      createdAt
      user {
        id
        name
      }
      items {
        quantity
        unitPriceCents
        product {
          sku
          name
          priceCents
          stock
        }
      }
    }
  }
`;
const MY_ORDERS = /* GraphQL */ `
  query MyOrders {
    me {
      id
      email
      orders {
        totalCount
        edges {
          node {
            id
            status
            totalCents
            items {
              quantity
              product {
                sku
              }
            }
          }
        }
      }
    }
  }
`;

/**
 * The story runs twice: against the services started in this process from their sources (what
 * development runs), and against the compiled services as separate processes (`node dist/main.js`,
 * what the images run), so that what ships is what is tested.
 */
describe.each([
  ['started in-process from sources', startTestPlatform],
  ['compiled, each its own process', startProcessPlatform],
] as const)(
  'the shop story through the gateway, services %s',
  (_how, start: () => Promise<{ gql: GraphQLSend; stop(): Promise<void> }>) => {
    let platform: { gql: GraphQLSend; stop(): Promise<void> };
    beforeAll(async () => {
      platform = await start();
    });
    afterAll(async () => {
      await platform?.stop();
    });

    test('when a customer signs up, browses, orders and cancels, then every step answers and stock follows', async () => {
      const { gql } = platform;
      const signUp = await gql(SIGN_UP, { input: { email: 'Ada@Example.COM', password: 'analytical-engine', name: '  Ada  ' } });
      expect(signUp.errors).toEqual([]);
      const { token, user } = signUp.data!.signUp;
      expect(user).toMatchObject({ name: 'Ada', email: 'ada@example.com', role: 'CUSTOMER', status: 'ACTIVE' });

      const signIn = await gql(SIGN_IN, { input: { email: 'ADA@example.com', password: 'analytical-engine' } });
      expect(signIn.data!.signIn.user.id).toBe(user.id);

      const catalog = await gql(
        `{ products(first: 5) { totalCount edges { node { sku priceCents stock } } pageInfo { hasNextPage endCursor } } }`,
      );
      expect(catalog.data!.products.totalCount).toBeGreaterThanOrEqual(20);
      const product = catalog.data!.products.edges[0].node;

      const placed = await gql(
        PLACE_ORDER,
        { input: { items: [{ sku: product.sku, quantity: 3 }], idempotencyKey: 'story-1' } },
        { token },
      );
      expect(placed.errors).toEqual([]);
      const order = placed.data!.placeOrder;
      expect(order).toMatchObject({
        status: 'CONFIRMED',
        totalCents: 3 * product.priceCents,
        currency: 'USD',
        user: { id: user.id, name: 'Ada' },
      });
      expect(order.items[0].product.stock).toBe(product.stock - 3);

      const mine = await gql(MY_ORDERS, {}, { token });
      expect(mine.data!.me.orders.totalCount).toBe(1);
      expect(mine.data!.me.orders.edges[0].node).toMatchObject({ id: order.id, status: 'CONFIRMED' });

      const cancelled = await gql(
        `mutation($id: ID!) { cancelOrder(id: $id) { id status items { product { stock } } } }`,
        { id: order.id },
        { token },
      );
      expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
      expect(cancelled.data!.cancelOrder.items[0].product.stock).toBe(product.stock);

      const again = await gql(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: order.id }, { token });
      expect(errorCodes(again)).toEqual(['CONFLICT']);
    });

    test('when an admin signs in, then they can list users, ship orders and manage products', async () => {
      const { gql } = platform;
      const admin = (await gql(SIGN_IN, { input: TEST_ADMIN })).data!.signIn;
      expect(admin.user.role).toBe('ADMIN');
      const customer = (await gql(SIGN_UP, { input: { email: 'grace@example.com', password: 'cobol-rules', name: 'Grace' } })).data!.signUp;

      const saved = await gql(
        `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku name priceCents currency stock } }`,
        { input: { sku: 'TEST-1', name: 'Test widget', priceCents: 1234, currency: 'eur', stock: 7 } },
        { token: admin.token },
      );
      expect(saved.data!.upsertProduct).toEqual({ sku: 'TEST-1', name: 'Test widget', priceCents: 1234, currency: 'EUR', stock: 7 });

      const placed = await gql(
        PLACE_ORDER,
        { input: { items: [{ sku: 'TEST-1', quantity: 2 }], idempotencyKey: 'grace-1' } },
        { token: customer.token },
      );
      const shipped = await gql(
        `mutation($id: ID!) { shipOrder(id: $id) { status } }`,
        { id: placed.data!.placeOrder.id },
        { token: admin.token },
      );
      expect(shipped.data!.shipOrder.status).toBe('SHIPPED');

      const listed = await gql(
        `{ users(first: 50) { totalCount edges { node { email orders { totalCount } } } } }`,
        {},
        { token: admin.token },
      );
      expect(listed.errors).toEqual([]);
      const grace = listed.data!.users.edges.find((edge: { node: { email: string } }) => edge.node.email === 'grace@example.com');
      expect(grace.node.orders.totalCount).toBe(1);

      const suspended = await gql(
        `mutation($id: ID!) { suspendUser(id: $id) { status } }`,
        { id: customer.user.id },
        { token: admin.token },
      );
      expect(suspended.data!.suspendUser.status).toBe('SUSPENDED');
      const refused = await gql(
        PLACE_ORDER,
        { input: { items: [{ sku: 'TEST-1', quantity: 1 }], idempotencyKey: 'grace-2' } },
        { token: customer.token },
      );
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    });
  },
);
