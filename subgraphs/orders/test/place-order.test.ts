import { errorCodes } from '../../../test/support/graphql-client';
import { startOrdersUnderTest, uniqueSku, type Account, type OrdersUnderTest } from './support/orders-under-test';

const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      totalCents
      currency
      user {
        id
      }
      items {
        quantity
        unitPriceCents
        product {
          sku
          stock
        }
      }
    }
  }
`;

/** Deadline of the orders service's calls to the users service in these tests. */
const DEADLINE_MS = 500;

describe('placeOrder', () => {
  let orders: OrdersUnderTest;
  let customer: Account;
  beforeAll(async () => {
    orders = await startOrdersUnderTest({ GRPC_DEADLINE_MS: String(DEADLINE_MS) });
    customer = await orders.account();
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    await orders?.stop();
  });

  function place(account: Pick<Account, 'token'> | null, items: { sku: string; quantity: number }[], idempotencyKey: string) {
    return orders.gql(PLACE_ORDER, { input: { items, idempotencyKey } }, { token: account?.token });
  }

  test('when a customer orders, then prices come from the catalog and stock is taken', async () => {
    const [a, b] = [uniqueSku(), uniqueSku()];
    await orders.upsertProduct({ sku: a, priceCents: 1250, stock: 10 });
    await orders.upsertProduct({ sku: b, priceCents: 399, stock: 5 });

    const placed = await place(
      customer,
      [
        { sku: a, quantity: 3 },
        { sku: b, quantity: 2 },
      ],
      'prices-1',
    );

    expect(placed.errors).toEqual([]);
    const order = placed.data!.placeOrder;
    expect(order).toMatchObject({ status: 'CONFIRMED', totalCents: 3 * 1250 + 2 * 399, currency: 'USD', user: { id: customer.id } });
    expect(order.items).toEqual(
      expect.arrayContaining([
        { quantity: 3, unitPriceCents: 1250, product: { sku: a, stock: 7 } },
        { quantity: 2, unitPriceCents: 399, product: { sku: b, stock: 3 } },
      ]),
    );
    expect(await orders.stockOf(a)).toBe(7);
    expect(await orders.stockOf(b)).toBe(3);
    const { rows } = await orders.sql.query('SELECT user_id, total_cents FROM orders WHERE id = $1', [order.id]);
    expect(rows).toEqual([{ user_id: customer.id, total_cents: 4548 }]);
  });

  test('when the catalog price changes, then later orders pay the new price and earlier ones keep theirs', async () => {
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, priceCents: 500, stock: 10 });
    const first = await place(customer, [{ sku, quantity: 1 }], 'reprice-1');
    await orders.upsertProduct({ sku, priceCents: 700, stock: 10 });
    const second = await place(customer, [{ sku, quantity: 1 }], 'reprice-2');

    expect(first.data!.placeOrder.totalCents).toBe(500);
    expect(second.data!.placeOrder.totalCents).toBe(700);
    const again = await orders.gql(
      `query($id: ID!) { order(id: $id) { totalCents items { unitPriceCents } } }`,
      { id: first.data!.placeOrder.id },
      { token: customer.token },
    );
    expect(again.data!.order).toEqual({ totalCents: 500, items: [{ unitPriceCents: 500 }] });
  });

  describe('when the input is invalid, then BAD_USER_INPUT names the field and nothing is written', () => {
    const known = uniqueSku();
    const other = uniqueSku();
    beforeAll(async () => {
      await orders.upsertProduct({ sku: known, stock: 1000 });
      await orders.upsertProduct({ sku: other, stock: 1000 });
    });

    const cases: [string, () => { items: { sku: string; quantity: number }[]; idempotencyKey: string }, string][] = [
      ['no items', () => ({ items: [], idempotencyKey: 'bad-1' }), 'input.items'],
      [
        '51 items',
        () => ({ items: Array.from({ length: 51 }, (_, i) => ({ sku: `${known}-x${i}`, quantity: 1 })), idempotencyKey: 'bad-2' }),
        'input.items',
      ],
      [
        'a duplicate sku',
        () => ({
          items: [
            { sku: known, quantity: 1 },
            { sku: other, quantity: 1 },
            { sku: known, quantity: 2 },
          ],
          idempotencyKey: 'bad-3',
        }),
        'input.items[2].sku',
      ],
      [
        'quantity 0',
        () => ({
          items: [
            { sku: known, quantity: 1 },
            { sku: other, quantity: 0 },
          ],
          idempotencyKey: 'bad-4',
        }),
        'input.items[1].quantity',
      ],
      ['quantity 101', () => ({ items: [{ sku: known, quantity: 101 }], idempotencyKey: 'bad-5' }), 'input.items[0].quantity'],
      [
        'an unknown sku',
        () => ({
          items: [
            { sku: known, quantity: 1 },
            { sku: 'NO-SUCH-SKU', quantity: 1 },
          ],
          idempotencyKey: 'bad-6',
        }),
        'input.items[1].sku',
      ],
      ['a malformed sku', () => ({ items: [{ sku: '../etc', quantity: 1 }], idempotencyKey: 'bad-7' }), 'input.items[0].sku'],
      ['an empty idempotencyKey', () => ({ items: [{ sku: known, quantity: 1 }], idempotencyKey: '' }), 'input.idempotencyKey'],
      [
        'a 101-character idempotencyKey',
        () => ({ items: [{ sku: known, quantity: 1 }], idempotencyKey: 'k'.repeat(101) }),
        'input.idempotencyKey',
      ],
    ];

    test.each(cases)('%s', async (_name, input, field) => {
      const before = await orders.snapshot();

      const response = await orders.gql(PLACE_ORDER, { input: input() }, { token: customer.token });

      expect(response.data?.placeOrder ?? null).toBeNull();
      expect(response.errors).toHaveLength(1);
      expect(response.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(await orders.snapshot()).toEqual(before);
    });

    test('a 100-character idempotencyKey is accepted (the limit is inclusive)', async () => {
      const response = await place(customer, [{ sku: known, quantity: 1 }], 'k'.repeat(100));
      expect(response.errors).toEqual([]);
    });
  });

  test('when one item lacks stock, then CONFLICT names its sku, nothing is written and the other items keep their stock', async () => {
    const [plenty, scarce] = [uniqueSku(), uniqueSku()];
    await orders.upsertProduct({ sku: plenty, stock: 50 });
    await orders.upsertProduct({ sku: scarce, stock: 2 });
    const before = await orders.snapshot();

    const response = await place(
      customer,
      [
        { sku: plenty, quantity: 5 },
        { sku: scarce, quantity: 3 },
      ],
      'short-1',
    );

    expect(response.data?.placeOrder ?? null).toBeNull();
    expect(response.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', sku: scarce });
    expect(await orders.snapshot()).toEqual(before);
    expect(await orders.stockOf(plenty)).toBe(50);
    expect(await orders.stockOf(scarce)).toBe(2);
  });

  describe('idempotency', () => {
    test('when the same user sends the same key again, then the same order comes back and stock is taken once', async () => {
      const sku = uniqueSku();
      await orders.upsertProduct({ sku, stock: 10 });
      const first = await place(customer, [{ sku, quantity: 4 }], 'retry-me');
      const second = await place(customer, [{ sku, quantity: 4 }], 'retry-me');

      expect(first.errors).toEqual([]);
      expect(second.errors).toEqual([]);
      expect(second.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
      expect(await orders.stockOf(sku)).toBe(6);
      const { rows } = await orders.sql.query('SELECT count(*)::int AS n FROM orders WHERE user_id = $1 AND idempotency_key = $2', [
        customer.id,
        'retry-me',
      ]);
      expect(rows[0].n).toBe(1);
    });

    test('when 20 identical requests race, then they all get one order and stock is taken once', async () => {
      const sku = uniqueSku();
      const buyer = await orders.account();
      await orders.upsertProduct({ sku, stock: 100 });

      const responses = await Promise.all(Array.from({ length: 20 }, () => place(buyer, [{ sku, quantity: 3 }], 'double-click')));

      expect(responses.flatMap((response) => response.errors)).toEqual([]);
      expect(new Set(responses.map((response) => response.data!.placeOrder.id)).size).toBe(1);
      expect(await orders.stockOf(sku)).toBe(97);
      const { rows } = await orders.sql.query(
        'SELECT count(*)::int AS orders, (SELECT count(*)::int FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = $1) AS items FROM orders WHERE user_id = $1',
        [buyer.id],
      );
      expect(rows[0]).toEqual({ orders: 1, items: 1 });
    });

    test('when 20 identical requests race for all the stock there is, then they all still get the one order', async () => {
      // The duplicates queue behind the first one's lock and then find no stock left: they
      // must answer with the order that took it, not with CONFLICT.
      const sku = uniqueSku();
      const buyer = await orders.account();
      await orders.upsertProduct({ sku, stock: 3 });

      const responses = await Promise.all(Array.from({ length: 20 }, () => place(buyer, [{ sku, quantity: 3 }], 'last-units')));

      expect(responses.flatMap((response) => response.errors)).toEqual([]);
      expect(new Set(responses.map((response) => response.data!.placeOrder.id)).size).toBe(1);
      expect(await orders.stockOf(sku)).toBe(0);
    });

    test('when two users send the same key, then each gets an order of their own', async () => {
      const sku = uniqueSku();
      const [alice, bob] = [await orders.account(), await orders.account()];
      await orders.upsertProduct({ sku, stock: 10 });

      const fromAlice = await place(alice, [{ sku, quantity: 1 }], 'shared-key');
      const fromBob = await place(bob, [{ sku, quantity: 1 }], 'shared-key');

      expect(fromAlice.data!.placeOrder.user.id).toBe(alice.id);
      expect(fromBob.data!.placeOrder.user.id).toBe(bob.id);
      expect(fromBob.data!.placeOrder.id).not.toBe(fromAlice.data!.placeOrder.id);
      expect(await orders.stockOf(sku)).toBe(8);
    });
  });

  test('when 40 customers race for the last 10 units, then exactly 10 succeed, the rest get CONFLICT and stock ends at 0', async () => {
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, stock: 10 });
    const buyers = await Promise.all(Array.from({ length: 8 }, () => orders.account()));
    const ordersBefore = (await orders.snapshot()).orders;

    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => place(buyers[i % buyers.length]!, [{ sku, quantity: 1 }], `rush-${i}`)),
    );

    const succeeded = responses.filter((response) => response.errors.length === 0);
    const refused = responses.filter((response) => response.errors.length > 0);
    expect(succeeded).toHaveLength(10);
    expect(refused.map((response) => response.errors[0]!.extensions)).toEqual(
      Array.from({ length: 30 }, () => expect.objectContaining({ code: 'CONFLICT', sku })),
    );
    for (const response of succeeded) expect(response.data!.placeOrder.items[0].product.stock).toBeGreaterThanOrEqual(0);
    expect(await orders.stockOf(sku)).toBe(0);
    const after = await orders.snapshot();
    expect(after.orders - ordersBefore).toBe(10);
    const { rows } = await orders.sql.query('SELECT coalesce(sum(quantity), 0)::int AS sold FROM order_items WHERE sku = $1', [sku]);
    expect(rows[0].sold).toBe(10);
  });

  describe('when the users service does not approve the account, then nothing is written', () => {
    const sku = uniqueSku();
    beforeAll(async () => {
      await orders.upsertProduct({ sku, stock: 10 });
    });

    test.each([
      ['a SUSPENDED account', 'SUSPENDED' as const],
      ['an account the users service does not know', 'NOT_FOUND' as const],
    ])('%s gets FORBIDDEN', async (_name, state) => {
      const account = await orders.account({ state });
      const before = await orders.snapshot();

      const response = await place(account, [{ sku, quantity: 1 }], 'denied');

      expect(response.data?.placeOrder ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(orders.users.callsFor(account.id)).toBe(1);
      expect(await orders.snapshot()).toEqual(before);
    });

    test('an account the users service never answers for gets SERVICE_UNAVAILABLE, retryable, within the deadline', async () => {
      const account = await orders.account({ state: 'UNRESPONSIVE' });
      const before = await orders.snapshot();
      const started = performance.now();

      const response = await place(account, [{ sku, quantity: 1 }], 'hanging');

      const elapsed = performance.now() - started;
      expect(response.data?.placeOrder ?? null).toBeNull();
      expect(response.errors[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(elapsed).toBeLessThan(3_000);
      expect(await orders.snapshot()).toEqual(before);
    });
  });

  describe('when the caller is not signed in properly, then UNAUTHENTICATED and nothing is written', () => {
    test('an anonymous caller', async () => {
      const before = await orders.snapshot();
      const response = await place(null, [{ sku: 'KB-001', quantity: 1 }], 'anon');
      expect(response.data?.placeOrder ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(await orders.snapshot()).toEqual(before);
    });

    test('a token signed with a key the JWKS does not hold', async () => {
      const forged = await orders.tokens.signWithUnknownKey({ id: customer.id, role: 'ADMIN' });
      const before = await orders.snapshot();
      const response = await place({ token: forged }, [{ sku: 'KB-001', quantity: 1 }], 'forged');
      expect(response.status).toBe(401);
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(await orders.snapshot()).toEqual(before);
    });
  });
});

describe('placeOrder when the users service is down', () => {
  let orders: OrdersUnderTest;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
    await orders.users.stop();
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    await orders?.stop();
  });

  test('when the users service is unreachable, then SERVICE_UNAVAILABLE, retryable, fast, and nothing is written', async () => {
    const customer = await orders.account();
    const before = await orders.snapshot();
    const started = performance.now();

    const response = await orders.gql(
      PLACE_ORDER,
      { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: 'down-1' } },
      { token: customer.token },
    );

    expect(performance.now() - started).toBeLessThan(3_000);
    expect(response.data?.placeOrder ?? null).toBeNull();
    expect(response.errors[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(await orders.snapshot()).toEqual(before);
  });
});
