import { randomUUID } from 'node:crypto';
import { errorCodes } from '../../../test/support/graphql-client';
import { readMetric } from '../../../test/support/test-platform';
import { startOrdersUnderTest, uniqueSku, type Account, type OrdersUnderTest } from './support/orders-under-test';

/** What the gateway sends to resolve entities; here written by hand and sent straight to the subgraph. */
const USER_ORDER_COUNT = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id orders { totalCount } } }
}`;
const ORDER_ENTITY = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { id totalCents status user { id } } }
}`;
const USER_ORDER_PAGES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id orders(first: 5) { totalCount edges { node { items { quantity product { name } } } } } }
  }
}`;

/** The same entity request, selecting only `selection` of each user's first five orders. */
function userOrdersSelecting(selection: string) {
  return `query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on User { id orders(first: 5) { ${selection} } } }
  }`;
}

function users(...ids: string[]) {
  return { representations: ids.map((id) => ({ __typename: 'User', id })) };
}

/** SQL statements the service sent on behalf of requests while `send` ran, and what it returned. */
async function statementsDuring<T>(orders: OrdersUnderTest, send: () => Promise<T>): Promise<{ statements: number; result: T }> {
  const before = await readMetric(orders.httpUrl, 'db_client_statements_total', { origin: 'request' });
  const result = await send();
  const after = await readMetric(orders.httpUrl, 'db_client_statements_total', { origin: 'request' });
  return { statements: after - before, result };
}

describe('the entity path: _entities and _service straight to the subgraph', () => {
  let orders: OrdersUnderTest;
  let owner: Account;
  let stranger: Account;
  let admin: Account;
  let ownerOrderId: string;
  let sku: string;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
    [owner, stranger, admin] = await Promise.all([orders.account(), orders.account(), orders.account({ role: 'ADMIN' })]);
    sku = uniqueSku();
    await orders.upsertProduct({ sku, stock: 1000, priceCents: 4321 });
    for (const key of ['a', 'b', 'c']) {
      const placed = await orders.gql(
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
        { input: { items: [{ sku, quantity: 1 }], idempotencyKey: key } },
        { token: owner.token },
      );
      ownerOrderId = placed.data!.placeOrder.id;
    }
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    await orders?.stop();
  });

  describe('User.orders', () => {
    test('when nobody is signed in, then UNAUTHENTICATED and no count', async () => {
      const response = await orders.gql(USER_ORDER_COUNT, users(owner.id));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.data?._entities ?? [null]).toEqual([null]);
    });

    test('when another customer asks, then FORBIDDEN and no count', async () => {
      const response = await orders.gql(USER_ORDER_COUNT, users(owner.id), { token: stranger.token });
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.data?._entities ?? [null]).toEqual([null]);
    });

    test.each([
      ['the account itself', () => owner],
      ['an admin', () => admin],
    ])('when %s asks, then it gets the count', async (_name, viewer) => {
      const response = await orders.gql(USER_ORDER_COUNT, users(owner.id), { token: viewer().token });
      expect(response.errors).toEqual([]);
      expect(response.data!._entities).toEqual([{ id: owner.id, orders: { totalCount: 3 } }]);
    });

    test('when a customer asks for itself and someone else in one request, then only its own count comes back', async () => {
      const response = await orders.gql(USER_ORDER_COUNT, users(stranger.id, owner.id), { token: stranger.token });
      expect(response.data!._entities).toEqual([{ id: stranger.id, orders: { totalCount: 0 } }, null]);
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    });

    test("when a customer asks for its own and someone else's pages in one request, then only its own orders come back", async () => {
      const response = await orders.gql(
        userOrdersSelecting('totalCount edges { node { id } } pageInfo { hasNextPage }'),
        users(owner.id, stranger.id),
        { token: stranger.token },
      );
      expect(response.data!._entities).toEqual([
        null,
        { id: stranger.id, orders: { totalCount: 0, edges: [], pageInfo: { hasNextPage: false } } },
      ]);
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(response)).not.toContain(ownerOrderId);
    });

    test('when after is not a cursor this API issued, then BAD_USER_INPUT and no SQL statement', async () => {
      const { statements, result: response } = await statementsDuring(orders, () =>
        orders.gql(
          `query($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on User { orders(after: "bm90LWEtY3Vyc29y") { totalCount edges { cursor } } } }
          }`,
          users(owner.id),
          { token: owner.token },
        ),
      );
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors[0]!.path).toEqual(['_entities', 0, 'orders']);
      expect(response.data?._entities ?? [null]).toEqual([null]);
      expect(statements).toBe(0);
    });

    test('when the owner pages through its orders, then they come newest first, each once', async () => {
      const query = `query($representations: [_Any!]!, $after: String) {
        _entities(representations: $representations) {
          ... on User { orders(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }
        }
      }`;
      const first = await orders.gql(query, users(owner.id), { token: owner.token });
      const firstPage = first.data!._entities[0].orders;
      const second = await orders.gql(query, { ...users(owner.id), after: firstPage.pageInfo.endCursor }, { token: owner.token });
      const secondPage = second.data!._entities[0].orders;

      const { rows } = await orders.sql.query('SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC', [owner.id]);
      expect(firstPage.pageInfo.hasNextPage).toBe(true);
      expect(secondPage.pageInfo.hasNextPage).toBe(false);
      expect([...firstPage.edges, ...secondPage.edges].map((edge: { node: { id: string } }) => edge.node.id)).toEqual(
        rows.map((row) => row.id),
      );
      expect(rows[0].id).toBe(ownerOrderId);
    });

    test('when an admin asks about an id that is not a UUID, then an empty connection, not an error, and no SQL statement', async () => {
      const { statements, result: response } = await statementsDuring(orders, () =>
        orders.gql(userOrdersSelecting('totalCount edges { cursor } pageInfo { hasNextPage endCursor }'), users('not-a-uuid'), {
          token: admin.token,
        }),
      );
      expect(response.errors).toEqual([]);
      expect(response.data!._entities).toEqual([
        { id: 'not-a-uuid', orders: { totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } } },
      ]);
      expect(statements).toBe(0);
    });
  });

  describe('Order', () => {
    const representation = () => ({ representations: [{ __typename: 'Order', id: ownerOrderId }] });

    test("when another customer resolves someone else's order, then NOT_FOUND and nothing of it leaks", async () => {
      const response = await orders.gql(ORDER_ENTITY, representation(), { token: stranger.token });

      expect(response.errors.length).toBeGreaterThan(0);
      expect(new Set(errorCodes(response))).toEqual(new Set(['NOT_FOUND']));
      expect(response.data?._entities ?? [null]).toEqual([null]);
      const body = JSON.stringify(response);
      expect(body).not.toContain('4321');
      expect(body).not.toContain(owner.id);
    });

    test('when nobody is signed in, then UNAUTHENTICATED and nothing of it leaks', async () => {
      const response = await orders.gql(ORDER_ENTITY, representation());
      expect(new Set(errorCodes(response))).toEqual(new Set(['UNAUTHENTICATED']));
      expect(JSON.stringify(response)).not.toContain('4321');
    });

    test('when the owner or an admin resolves it, then they get it', async () => {
      for (const viewer of [owner, admin]) {
        const response = await orders.gql(ORDER_ENTITY, representation(), { token: viewer.token });
        expect(response.errors).toEqual([]);
        expect(response.data!._entities).toEqual([{ id: ownerOrderId, totalCents: 4321, status: 'CONFIRMED', user: { id: owner.id } }]);
      }
    });

    test('when the id is unknown or not a UUID, then the entity is null, never a 500', async () => {
      const response = await orders.gql(
        ORDER_ENTITY,
        {
          representations: [
            { __typename: 'Order', id: randomUUID() },
            { __typename: 'Order', id: 'nope' },
            { __typename: 'Order', id: 42 },
          ],
        },
        { token: admin.token },
      );
      expect(response.status).toBe(200);
      expect(response.data!._entities).toEqual([null, null, null]);
      expect(errorCodes(response)).not.toContain('INTERNAL_SERVER_ERROR');
    });
  });

  test('when anyone resolves a Product entity, then it is public', async () => {
    const response = await orders.gql(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { sku priceCents } } }`,
      {
        representations: [
          { __typename: 'Product', sku },
          { __typename: 'Product', sku: 'NO-SUCH' },
        ],
      },
    );
    expect(response.errors).toEqual([]);
    expect(response.data!._entities).toEqual([{ sku, priceCents: 4321 }, null]);
  });

  test('when _service { sdl } is asked anonymously, then the subgraph SDL comes back', async () => {
    const response = await orders.gql(`{ _service { sdl } }`);
    expect(response.errors).toEqual([]);
    const sdl: string = response.data!._service.sdl;
    expect(sdl).toMatch(/type Order\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('placeOrder(input: PlaceOrderInput!): Order!');
  });
});

describe('batching: the cost of an _entities request does not grow with the number of users', () => {
  let orders: OrdersUnderTest;
  let admin: Account;
  let buyers: Account[];
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
    admin = await orders.account({ role: 'ADMIN' });
    buyers = await Promise.all(Array.from({ length: 50 }, () => orders.account()));
    const skus = [uniqueSku(), uniqueSku(), uniqueSku()];
    for (const sku of skus) await orders.upsertProduct({ sku, stock: 1000 });
    // Two orders of two items each per buyer, placed through the API, ten buyers at a time.
    for (let start = 0; start < buyers.length; start += 10) {
      await Promise.all(
        buyers.slice(start, start + 10).flatMap((buyer) =>
          [0, 1].map(async (n) => {
            const placed = await orders.gql(
              `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
              {
                input: {
                  items: [
                    { sku: skus[n]!, quantity: 1 },
                    { sku: skus[2]!, quantity: 2 },
                  ],
                  idempotencyKey: `seed-${n}`,
                },
              },
              { token: buyer.token },
            );
            if (placed.errors.length > 0) throw new Error(JSON.stringify(placed.errors));
          }),
        ),
      );
    }
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    await orders?.stop();
  });

  async function statementsFor(query: string, accounts: Account[]) {
    const { statements, result: response } = await statementsDuring(orders, () =>
      orders.gql(query, users(...accounts.map((account) => account.id)), { token: admin.token }),
    );
    expect(response.errors).toEqual([]);
    return { statements, entities: response.data!._entities };
  }

  test('when 5 and then 50 users are resolved with their orders, items and products, then both cost the same SQL statements', async () => {
    const five = await statementsFor(USER_ORDER_PAGES, buyers.slice(0, 5));
    const fifty = await statementsFor(USER_ORDER_PAGES, buyers);

    expect(five.entities).toHaveLength(5);
    expect(fifty.entities).toHaveLength(50);
    for (const entity of fifty.entities) {
      expect(entity.orders.totalCount).toBe(2);
      expect(entity.orders.edges).toHaveLength(2);
      for (const edge of entity.orders.edges) expect(edge.node.items).toHaveLength(2);
    }
    // One statement each for counts, pages, items and products; N+1 would be dozens.
    expect(five.statements).toBe(4);
    expect(fifty.statements).toBe(five.statements);
  });

  // The count and the page are loaded only when selected, each in one statement for all users.
  test.each([
    ['only totalCount', 1, 'totalCount'],
    ['only edges', 1, 'edges { cursor node { id status } }'],
    ['only pageInfo', 1, 'pageInfo { hasNextPage endCursor }'],
    ['edges and pageInfo', 1, 'edges { node { id } } pageInfo { hasNextPage }'],
    ['totalCount and edges', 2, 'totalCount edges { node { id } }'],
  ])(
    'when 5 and then 50 users are resolved selecting %s of their orders, then each request costs exactly %i statement(s)',
    async (_name, expected, selection) => {
      const five = await statementsFor(userOrdersSelecting(selection), buyers.slice(0, 5));
      const fifty = await statementsFor(userOrdersSelecting(selection), buyers);

      expect(five.statements).toBe(expected);
      expect(fifty.statements).toBe(expected);
      expect(fifty.entities).toHaveLength(50);
      for (const [index, entity] of fifty.entities.entries()) {
        expect(entity.id).toBe(buyers[index]!.id);
        if (selection.includes('totalCount')) expect(entity.orders.totalCount).toBe(2);
        if (selection.includes('edges')) expect(entity.orders.edges).toHaveLength(2);
        if (selection.includes('pageInfo')) expect(entity.orders.pageInfo.hasNextPage).toBe(false);
      }
    },
  );

  test('when users are asked with different page arguments in one request, then each gets its own page', async () => {
    const query = `query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on User { one: orders(first: 1) { edges { node { id } } pageInfo { hasNextPage } } all: orders(first: 5) { totalCount edges { node { id } } } }
      }
    }`;
    const { statements, result: response } = await statementsDuring(orders, () =>
      orders.gql(query, users(...buyers.slice(0, 5).map((buyer) => buyer.id)), { token: admin.token }),
    );
    expect(response.errors).toEqual([]);
    for (const entity of response.data!._entities) {
      expect(entity.one.edges).toHaveLength(1);
      expect(entity.one.pageInfo.hasNextPage).toBe(true);
      expect(entity.all.edges).toHaveLength(2);
      expect(entity.all.edges[0].node.id).toBe(entity.one.edges[0].node.id);
    }
    // One page statement per distinct page arguments, one count: never one per user.
    expect(statements).toBe(3);
  });
});
