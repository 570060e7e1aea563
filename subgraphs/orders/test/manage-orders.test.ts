import { randomUUID } from 'node:crypto';
import { errorCodes } from '../../../test/support/graphql-client';
import { startOrdersUnderTest, uniqueSku, type Account, type OrdersUnderTest } from './support/orders-under-test';

const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;
const CANCEL_ORDER = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;
const SHIP_ORDER = `mutation($id: ID!) { shipOrder(id: $id) { id status } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status totalCents user { id } items { quantity product { sku } } } }`;

describe('order lifecycle: cancelOrder, shipOrder and order(id)', () => {
  let orders: OrdersUnderTest;
  let owner: Account;
  let stranger: Account;
  let admin: Account;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
    [owner, stranger, admin] = await Promise.all([orders.account(), orders.account(), orders.account({ role: 'ADMIN' })]);
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    await orders?.stop();
  });

  /** A product with `stock` units and a CONFIRMED order of `quantity` of them by `buyer`. */
  async function confirmedOrder(buyer: Account = owner, { stock = 10, quantity = 4 } = {}) {
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, stock });
    const placed = await orders.gql(
      PLACE_ORDER,
      { input: { items: [{ sku, quantity }], idempotencyKey: randomUUID() } },
      { token: buyer.token },
    );
    if (placed.errors.length > 0) throw new Error(`placeOrder failed: ${JSON.stringify(placed.errors)}`);
    return { id: placed.data!.placeOrder.id as string, sku };
  }

  describe('cancelOrder', () => {
    test('when the owner cancels a CONFIRMED order, then it is CANCELLED and the stock comes back', async () => {
      const order = await confirmedOrder(owner, { stock: 10, quantity: 4 });
      expect(await orders.stockOf(order.sku)).toBe(6);

      const cancelled = await orders.gql(CANCEL_ORDER, { id: order.id }, { token: owner.token });

      expect(cancelled.errors).toEqual([]);
      expect(cancelled.data!.cancelOrder).toEqual({ id: order.id, status: 'CANCELLED' });
      expect(await orders.stockOf(order.sku)).toBe(10);
    });

    test('when an order is cancelled twice, then the second gets CONFLICT and the stock came back only once', async () => {
      const order = await confirmedOrder(owner, { stock: 10, quantity: 4 });
      await orders.gql(CANCEL_ORDER, { id: order.id }, { token: owner.token });

      const again = await orders.gql(CANCEL_ORDER, { id: order.id }, { token: owner.token });

      expect(again.data?.cancelOrder ?? null).toBeNull();
      expect(again.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'CANCELLED' });
      expect(await orders.stockOf(order.sku)).toBe(10);
    });

    test('when 10 cancels of one order race, then one wins, the others get CONFLICT and the stock comes back once', async () => {
      const order = await confirmedOrder(owner, { stock: 10, quantity: 4 });

      const responses = await Promise.all(
        Array.from({ length: 10 }, () => orders.gql(CANCEL_ORDER, { id: order.id }, { token: owner.token })),
      );

      expect(responses.filter((response) => response.errors.length === 0)).toHaveLength(1);
      expect(responses.flatMap(errorCodes)).toEqual(Array(9).fill('CONFLICT'));
      expect(await orders.stockOf(order.sku)).toBe(10);
    });

    test('when another customer tries to cancel, then NOT_FOUND and the order stays CONFIRMED', async () => {
      const order = await confirmedOrder(owner);
      const before = await orders.snapshot();

      const response = await orders.gql(CANCEL_ORDER, { id: order.id }, { token: stranger.token });

      expect(response.data?.cancelOrder ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      expect(await orders.snapshot()).toEqual(before);
      const { rows } = await orders.sql.query('SELECT status FROM orders WHERE id = $1', [order.id]);
      expect(rows[0].status).toBe('CONFIRMED');
    });

    test("when an admin cancels a customer's order, then it is CANCELLED and the stock comes back", async () => {
      const order = await confirmedOrder(owner, { stock: 10, quantity: 2 });

      const response = await orders.gql(CANCEL_ORDER, { id: order.id }, { token: admin.token });

      expect(response.data!.cancelOrder.status).toBe('CANCELLED');
      expect(await orders.stockOf(order.sku)).toBe(10);
    });

    test('when the order is SHIPPED, then cancelling gets CONFLICT and the stock stays taken', async () => {
      const order = await confirmedOrder(owner, { stock: 10, quantity: 3 });
      await orders.gql(SHIP_ORDER, { id: order.id }, { token: admin.token });

      const response = await orders.gql(CANCEL_ORDER, { id: order.id }, { token: owner.token });

      expect(response.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'SHIPPED' });
      expect(await orders.stockOf(order.sku)).toBe(7);
    });

    test('when the id is unknown or not a UUID, then NOT_FOUND', async () => {
      for (const id of [randomUUID(), 'not-a-uuid', "'; DROP TABLE orders; --"]) {
        const response = await orders.gql(CANCEL_ORDER, { id }, { token: owner.token });
        expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      }
    });

    test('when the caller is anonymous, then UNAUTHENTICATED and the order stays CONFIRMED', async () => {
      const order = await confirmedOrder(owner);
      const response = await orders.gql(CANCEL_ORDER, { id: order.id });
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      const { rows } = await orders.sql.query('SELECT status FROM orders WHERE id = $1', [order.id]);
      expect(rows[0].status).toBe('CONFIRMED');
    });
  });

  describe('shipOrder', () => {
    test('when a customer tries to ship, even their own order, then FORBIDDEN and it stays CONFIRMED', async () => {
      const order = await confirmedOrder(owner);

      const response = await orders.gql(SHIP_ORDER, { id: order.id }, { token: owner.token });

      expect(response.data?.shipOrder ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      const { rows } = await orders.sql.query('SELECT status FROM orders WHERE id = $1', [order.id]);
      expect(rows[0].status).toBe('CONFIRMED');
    });

    test('when an admin ships a CONFIRMED order, then it is SHIPPED; shipping again gets CONFLICT', async () => {
      const order = await confirmedOrder(owner, { stock: 10, quantity: 4 });

      const shipped = await orders.gql(SHIP_ORDER, { id: order.id }, { token: admin.token });
      const again = await orders.gql(SHIP_ORDER, { id: order.id }, { token: admin.token });

      expect(shipped.errors).toEqual([]);
      expect(shipped.data!.shipOrder).toEqual({ id: order.id, status: 'SHIPPED' });
      expect(again.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'SHIPPED' });
      expect(await orders.stockOf(order.sku)).toBe(6);
    });

    test('when the order was cancelled, then shipping gets CONFLICT', async () => {
      const order = await confirmedOrder(owner);
      await orders.gql(CANCEL_ORDER, { id: order.id }, { token: owner.token });

      const response = await orders.gql(SHIP_ORDER, { id: order.id }, { token: admin.token });

      expect(response.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'CANCELLED' });
    });

    test.each([
      ['an unknown id', randomUUID()],
      ['a non-UUID id', 'order-42'],
    ])('when an admin ships %s, then NOT_FOUND', async (_name, id) => {
      const response = await orders.gql(SHIP_ORDER, { id }, { token: admin.token });
      expect(response.status).toBe(200);
      expect(response.data?.shipOrder ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    });
  });

  describe('order(id)', () => {
    test('when the owner or an admin asks, then they see the order', async () => {
      const order = await confirmedOrder(owner, { quantity: 2 });

      for (const viewer of [owner, admin]) {
        const response = await orders.gql(ORDER, { id: order.id }, { token: viewer.token });
        expect(response.errors).toEqual([]);
        expect(response.data!.order).toMatchObject({
          id: order.id,
          status: 'CONFIRMED',
          user: { id: owner.id },
          items: [{ quantity: 2, product: { sku: order.sku } }],
        });
      }
    });

    test('when another customer asks, then data is null and NOT_FOUND, like for an order that does not exist', async () => {
      const order = await confirmedOrder(owner);

      const someoneElses = await orders.gql(ORDER, { id: order.id }, { token: stranger.token });
      const missing = await orders.gql(ORDER, { id: randomUUID() }, { token: stranger.token });

      expect(someoneElses.data).toEqual({ order: null });
      expect(errorCodes(someoneElses)).toEqual(['NOT_FOUND']);
      expect(someoneElses.errors[0]!.message).toBe(missing.errors[0]!.message);
      expect(JSON.stringify(someoneElses)).not.toContain(owner.id);
    });

    test.each(['not-a-uuid', '', '00000000-0000-0000-0000-00000000000Z', 'x'.repeat(5000)])(
      'when the id is not a UUID (%#), then NOT_FOUND, never a 500',
      async (id) => {
        const response = await orders.gql(ORDER, { id }, { token: owner.token });
        expect(response.status).toBe(200);
        expect(response.data).toEqual({ order: null });
        expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      },
    );

    test('when the caller is anonymous, then UNAUTHENTICATED', async () => {
      const order = await confirmedOrder(owner);
      const response = await orders.gql(ORDER, { id: order.id });
      expect(response.data?.order ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });
});
