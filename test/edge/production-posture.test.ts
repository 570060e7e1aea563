import pg from 'pg';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';
import { codes, postGraphQL, send, startExtraGateway, subgraphCalls } from './support/edge-http';

describe('the gateway in production (NODE_ENV=production)', () => {
  let platform: TestPlatform;
  let graphqlUrl: string;
  let token: string;
  beforeAll(async () => {
    platform = await startTestPlatform({ gatewayEnv: { NODE_ENV: 'production', SUBGRAPH_TIMEOUT_MS: '700' } });
    graphqlUrl = `${platform.gatewayUrl}/graphql`;
    const signUp = await platform.gql(
      `mutation { signUp(input: { email: "prod@example.com", password: "long-enough", name: "Prod" }) { token } }`,
    );
    token = signUp.data!.signUp.token;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when someone introspects the schema, then it is refused', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "User") { fields { name } } }']) {
      const response = await postGraphQL(graphqlUrl, { query });
      expect(response.status).toBe(400);
      expect(codes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(response.body.errors[0].message).toMatch(/introspection is not allowed/);
    }
  });

  test('when a browser opens the endpoint, then there is no Sandbox landing page', async () => {
    const response = await send(graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).not.toMatch(/sandbox|<html/i);
  });

  test('when a field name is guessed wrong, then the error does not suggest the right one (development does)', async () => {
    const query = '{ me { nme emial } products { edjes { cursor } } }';
    const production = await postGraphQL(graphqlUrl, { query });
    expect(production.body.errors.map((error: { message: string }) => error.message)).toEqual([
      'Cannot query field "nme" on type "User".',
      'Cannot query field "emial" on type "User".',
      'Cannot query field "edjes" on type "ProductConnection".',
    ]);
    expect(JSON.stringify(production.body)).not.toContain('Did you mean');

    const development = await startExtraGateway(platform, {});
    try {
      expect(JSON.stringify((await postGraphQL(development.graphqlUrl, { query })).body)).toContain('Did you mean');
    } finally {
      await development.stop();
    }
  });

  test('when a variable has a wrong enum value, then the suggestion is removed too', async () => {
    const response = await postGraphQL(
      graphqlUrl,
      { query: 'query($s: OrderStatus) { me { orders(status: $s) { totalCount } } }', variables: { s: 'SHIPED' } },
      { authorization: `Bearer ${token}` },
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors[0].message).not.toContain('SHIPPED');
  });

  test('when errors of every kind are answered, then none carries a stack trace', async () => {
    const responses = [
      await postGraphQL(graphqlUrl, { query: '{ me { nme } }' }),
      await postGraphQL(graphqlUrl, { query: '{ me ' }),
      await postGraphQL(graphqlUrl, { query: 'query($n: Int) { products(first: $n) { totalCount } }', variables: { n: 'many' } }),
      await postGraphQL(graphqlUrl, { query: '{ order(id: "x") { id } }' }),
    ];
    for (const response of responses) {
      expect(response.body.errors.length).toBeGreaterThan(0);
      expect(JSON.stringify(response.body)).not.toMatch(/stacktrace|exception|\.ts:\d/);
    }
  });

  test('when a batch of operations is sent, then it is refused whole and no subgraph is called', async () => {
    const before = await subgraphCalls(platform);
    const response = await send(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ products { totalCount } }' }, { query: '{ me { id } }' }]),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }]);
    expect(await subgraphCalls(platform)).toBe(before);
  });

  describe('CSRF prevention', () => {
    test('when a cross-site form or a "simple" request could have sent it, then it is refused before anything runs', async () => {
      const before = await subgraphCalls(platform);
      const simple = [
        send(`${graphqlUrl}?query=${encodeURIComponent('{ products { totalCount } }')}`),
        send(graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ query: '{ products { totalCount } }' }),
        }),
        send(graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'query=%7B%20products%20%7B%20totalCount%20%7D%20%7D',
        }),
      ];
      for (const response of await Promise.all(simple)) {
        expect(response.status).toBe(400);
        expect(codes(response)).toEqual(['BAD_REQUEST']);
        expect(response.body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
      }
      expect(await subgraphCalls(platform)).toBe(before);
    });

    test('when a GET carries a preflight-forcing header, then it runs', async () => {
      const response = await send(`${graphqlUrl}?query=${encodeURIComponent('{ products(first: 1) { totalCount } }')}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(200);
      expect(response.body.data.products.totalCount).toBeGreaterThan(0);
    });
  });

  test('when no CORS origin is configured, then a foreign origin gets no CORS permission', async () => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('when the body is over MAX_BODY_BYTES, then 413 without reading it', async () => {
    const response = await send(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ product(sku: "${'x'.repeat(1024 * 1024)}") { sku } }` }),
    });
    expect(response.status).toBe(413);
    expect(codes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  test("when one subgraph is slower than SUBGRAPH_TIMEOUT_MS, then the client gets the other one's data and an error, not a hang", async () => {
    // Hold the catalog table: the orders service's product lookup waits on the lock.
    const orders = new pg.Client({ connectionString: platform.ordersDatabase.url });
    await orders.connect();
    try {
      await orders.query('BEGIN');
      await orders.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const response = await postGraphQL(
        graphqlUrl,
        { query: '{ me { name } product(sku: "KB-001") { name } }' },
        { authorization: `Bearer ${token}` },
      );
      const elapsed = performance.now() - started;

      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ me: { name: 'Prod' }, product: null });
      expect(codes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.body.errors[0].extensions.retryable).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(650);
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      await orders.query('ROLLBACK');
      await orders.end();
    }
    const recovered = await postGraphQL(graphqlUrl, { query: '{ product(sku: "KB-001") { name } }' });
    expect(recovered.body.data.product.name).toBeTruthy();
  });
});
