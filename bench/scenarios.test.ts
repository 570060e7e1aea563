import { checkResponse, selectScenarios, SCENARIOS, type ScenarioContext } from './scenarios';

const context: ScenarioContext = { customerTokens: ['t1', 't2'], adminToken: 'admin', skus: ['A', 'B', 'C', 'D', 'E'], keyPrefix: 'k' };
const byId = (id: string) => SCENARIOS.find((scenario) => scenario.id === id)!;

describe('scenarios', () => {
  test('when the scenarios are listed, then they are issue 8’s four in its order, then the cacheable catalog page', () => {
    expect(SCENARIOS.map((scenario) => `${scenario.number}:${scenario.id}`)).toEqual([
      '1:products',
      '2:my-orders',
      '3:admin-fan-out',
      '4:place-order',
      '5:catalog',
    ]);
    expect(SCENARIOS.find((scenario) => scenario.id === 'place-order')!.forms).toEqual(['distinct']);
    expect(selectScenarios(['3', 'products']).map((scenario) => scenario.number)).toEqual([3, 1]);
    expect(() => selectScenarios(['9'])).toThrow('unknown scenario "9"');
  });

  test('when identical requests are made, then every request is the same: products anonymous, my-orders one customer’s, fan-out the admin’s', () => {
    for (const id of ['products', 'my-orders', 'admin-fan-out', 'catalog']) {
      const next = byId(id).requests(context, { form: 'identical' });
      const [a, b, c] = [next(), next(), next()];
      expect([b, c]).toEqual([a, a]);
    }
    expect(byId('products').requests(context, { form: 'identical' })().token).toBeNull();
    expect(byId('my-orders').requests(context, { form: 'identical' })().token).toBe('t1');
    const fanOut = byId('admin-fan-out').requests(context, { form: 'identical' })();
    expect(fanOut.token).toBe('admin');
    expect(JSON.parse(fanOut.body).variables).toEqual({ first: 50 });
  });

  test('when distinct requests are made, then customers rotate and no request repeats its neighbour, each saying the page size it must get', () => {
    const tokens = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const skus = Array.from({ length: 200 }, (_, i) => `BN-${String(i + 1).padStart(4, '0')}`);
    for (const id of ['products', 'my-orders', 'admin-fan-out', 'catalog']) {
      const next = byId(id).requests({ ...context, customerTokens: tokens, skus }, { form: 'distinct' });
      const requests = Array.from({ length: 200 }, next);
      for (let i = 1; i < requests.length; i++) expect(requests[i]).not.toEqual(requests[i - 1]);
      // Many different requests per lap, not a handful.
      expect(new Set(requests.map((request) => `${request.token} ${request.body}`)).size).toBeGreaterThan(20);
      for (const request of requests) expect(request.size).toBe(JSON.parse(request.body).variables.first);
    }
    const products = byId('products').requests({ ...context, customerTokens: tokens, skus }, { form: 'distinct' });
    expect([products().token, products().token]).toEqual(['t0', 't1']);
    // The cursor the API would issue for the first sku: products after BN-0001.
    const second = JSON.parse(products().body).variables.after as string;
    expect(Buffer.from(second, 'base64url').toString()).toBe('c1:BN-0002');
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
