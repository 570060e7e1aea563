import { checkResponse, selectScenarios, SCENARIOS, type ScenarioContext } from './scenarios';

const context: ScenarioContext = { customerTokens: ['t1', 't2'], adminToken: 'admin', skus: ['A', 'B', 'C', 'D', 'E'], keyPrefix: 'k' };
const byId = (id: string) => SCENARIOS.find((scenario) => scenario.id === id)!;

describe('scenarios', () => {
  test('when the four scenarios are listed, then they are the issue’s, in its order', () => {
    expect(SCENARIOS.map((scenario) => `${scenario.number}:${scenario.id}`)).toEqual([
      '1:products',
      '2:my-orders',
      '3:admin-fan-out',
      '4:place-order',
    ]);
    expect(selectScenarios(['3', 'products']).map((scenario) => scenario.number)).toEqual([3, 1]);
    expect(() => selectScenarios(['9'])).toThrow('unknown scenario "9"');
  });

  test('when requests are made, then products are anonymous, my-orders rotate customers and fan-out is the admin’s', () => {
    expect(byId('products').requests(context)().token).toBeNull();
    const next = byId('my-orders').requests(context);
    expect([next().token, next().token, next().token]).toEqual(['t1', 't2', 't1']);
    const fanOut = byId('admin-fan-out').requests(context)();
    expect(fanOut.token).toBe('admin');
    expect(JSON.parse(fanOut.body).variables).toEqual({ first: 50 });
  });

  test('when placeOrder requests are made, then every idempotency key is new and no order names a sku twice', () => {
    const next = byId('place-order').requests(context);
    const inputs = Array.from(
      { length: 50 },
      () => JSON.parse(next().body).variables.input as { idempotencyKey: string; items: { sku: string }[] },
    );
    expect(new Set(inputs.map((input) => input.idempotencyKey)).size).toBe(50);
    for (const input of inputs) expect(new Set(input.items.map((item) => item.sku)).size).toBe(input.items.length);
  });
});

describe('checkResponse', () => {
  const products = byId('products');
  const page = (n: number) =>
    JSON.stringify({ data: { products: { edges: Array.from({ length: n }, (_, i) => ({ node: { sku: `S${i}`, name: `P${i}` } })) } } });

  test('when the page has the size asked for, then the response is right', () => {
    expect(checkResponse(products, 200, page(50))).toBeNull();
    expect(checkResponse(products, 200, page(5), 5)).toBeNull();
  });

  test('when the status, the JSON, the errors or the data are wrong, then it says which', () => {
    expect(checkResponse(products, 429, '{}')).toMatch(/^HTTP 429/);
    expect(checkResponse(products, 200, 'oops')).toMatch(/^not JSON/);
    expect(checkResponse(products, 200, JSON.stringify({ errors: [{ message: 'boom' }], data: null }))).toBe('GraphQL error: boom');
    expect(checkResponse(products, 200, page(49))).toBe('expected 50 products, got 49');
  });

  test('when an order of my-orders comes without its products, then it is wrong', () => {
    const orders = (items: unknown[]) =>
      JSON.stringify({ data: { me: { orders: { edges: Array.from({ length: 2 }, () => ({ node: { items } })) } } } });
    expect(checkResponse(byId('my-orders'), 200, orders([{ product: { name: 'x', priceCents: 1 } }]), 2)).toBeNull();
    expect(checkResponse(byId('my-orders'), 200, orders([{ product: null }]), 2)).toBe('an item without its product');
  });
});
