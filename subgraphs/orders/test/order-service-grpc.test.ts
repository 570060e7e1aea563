import { randomUUID } from 'node:crypto';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { orderV1 } from '@fedshop/shared/grpc';
import { startOrdersUnderTest, uniqueSku, type Account, type OrdersUnderTest } from './support/orders-under-test';

describe('gRPC order.v1.OrderService/CountOpenOrders', () => {
  let orders: OrdersUnderTest;
  let client: orderV1.OrderServiceClient;
  let admin: Account;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
    admin = await orders.account({ role: 'ADMIN' });
    client = new orderV1.OrderServiceClient(`127.0.0.1:${orders.grpcPort}`, credentials.createInsecure());
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    client?.close();
    await orders?.stop();
  });

  function countOpenOrders(userId: string): Promise<number> {
    return new Promise((resolve, reject) => {
      client.countOpenOrders({ userId }, (error: ServiceError | null, response) =>
        error ? reject(error) : resolve(response.openOrderCount),
      );
    });
  }

  async function placeOrder(buyer: Account, sku: string): Promise<string> {
    const placed = await orders.gql(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      { input: { items: [{ sku, quantity: 1 }], idempotencyKey: randomUUID() } },
      { token: buyer.token },
    );
    if (placed.errors.length > 0) throw new Error(JSON.stringify(placed.errors));
    return placed.data!.placeOrder.id;
  }

  test('when a user has orders in every status, then only the CONFIRMED ones count, and only theirs', async () => {
    const [buyer, other] = [await orders.account(), await orders.account()];
    const sku = uniqueSku();
    await orders.upsertProduct({ sku, stock: 100 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await placeOrder(buyer, sku));
    await placeOrder(other, sku);
    await orders.gql(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: ids[0] }, { token: buyer.token });
    await orders.gql(`mutation($id: ID!) { shipOrder(id: $id) { id } }`, { id: ids[1] }, { token: admin.token });

    expect(await countOpenOrders(buyer.id)).toBe(3);
    expect(await countOpenOrders(other.id)).toBe(1);
  });

  test('when the user has no orders, then 0', async () => {
    expect(await countOpenOrders(randomUUID())).toBe(0);
  });

  test.each(['not-a-uuid', '', "' OR 1=1 --"])('when the user id is not a UUID (%j), then 0, not an error', async (userId) => {
    expect(await countOpenOrders(userId)).toBe(0);
  });
});
