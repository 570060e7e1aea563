import pg from 'pg';
import { errorCodes } from '../support/graphql-client';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id totalCents items { product { sku stock } } } }`;

describe('the rules, through the gateway', () => {
  let platform: TestPlatform;
  let orders: pg.Pool;
  let alice: { token: string; id: string };
  let bob: { token: string; id: string };
  let adminToken: string;

  const stockOf = async (sku: string) => (await orders.query('SELECT stock FROM products WHERE sku = $1', [sku])).rows[0].stock as number;
  const orderCount = async () => Number((await orders.query('SELECT count(*) FROM orders')).rows[0].count);

  beforeAll(async () => {
    platform = await startTestPlatform();
    orders = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
    const signUp = async (email: string) => {
      const response = await platform.gql(SIGN_UP, { input: { email, password: 'long-enough', name: email.split('@')[0] } });
      return { token: response.data!.signUp.token, id: response.data!.signUp.user.id };
    };
    alice = await signUp('alice@example.com');
    bob = await signUp('bob@example.com');
    adminToken = (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!
      .signIn.token;
  });
  afterAll(async () => {
    await orders?.end();
    await platform?.stop();
  });

  test('when input is invalid, then BAD_USER_INPUT names the field and nothing is written', async () => {
    const before = await orderCount();
    const cases: [Record<string, unknown>, string][] = [
      [{ items: [], idempotencyKey: 'x' }, 'input.items'],
      [{ items: [{ sku: 'KB-001', quantity: 0 }], idempotencyKey: 'x' }, 'input.items[0].quantity'],
      [
        {
          items: [
            { sku: 'KB-001', quantity: 1 },
            { sku: 'KB-001', quantity: 1 },
          ],
          idempotencyKey: 'x',
        },
        'input.items[1].sku',
      ],
      [{ items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }], idempotencyKey: 'x' }, 'input.items[0].sku'],
      [{ items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: '' }, 'input.idempotencyKey'],
    ];
    for (const [input, field] of cases) {
      const response = await platform.gql(PLACE, { input }, { token: alice.token });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors[0]!.extensions!.field).toBe(field);
    }
    const signUp = await platform.gql(SIGN_UP, { input: { email: 'not-an-email', password: 'long-enough', name: 'X' } });
    expect(signUp.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    expect(await orderCount()).toBe(before);
  });

  test('when stock is short, then CONFLICT names the sku and no stock moves', async () => {
    const [ds, lt] = [await stockOf('DS-001'), await stockOf('LT-001')];
    const response = await platform.gql(
      PLACE,
      {
        input: {
          items: [
            { sku: 'LT-001', quantity: 1 },
            { sku: 'DS-001', quantity: ds + 1 > 100 ? 100 : ds + 1 },
          ],
          idempotencyKey: 'short',
        },
      },
      { token: alice.token },
    );
    expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(response.errors[0]!.extensions!.sku).toBe('DS-001');
    expect([await stockOf('DS-001'), await stockOf('LT-001')]).toEqual([ds, lt]);
  });

  test('when the same idempotency key is sent again, then the first order comes back and stock is taken once', async () => {
    const stock = await stockOf('MS-002');
    const input = { items: [{ sku: 'MS-002', quantity: 2 }], idempotencyKey: 'retry-me' };
    const first = await platform.gql(PLACE, { input }, { token: alice.token });
    const second = await platform.gql(PLACE, { input }, { token: alice.token });
    expect(second.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(await stockOf('MS-002')).toBe(stock - 2);
  });

  test("when someone else's order or email is asked for, then it cannot be seen or probed", async () => {
    const placed = await platform.gql(
      PLACE,
      { input: { items: [{ sku: 'CB-001', quantity: 1 }], idempotencyKey: 'private' } },
      { token: alice.token },
    );
    const id = placed.data!.placeOrder.id;
    const byBob = await platform.gql(`query($id: ID!) { order(id: $id) { id totalCents } }`, { id }, { token: bob.token });
    expect(byBob.data!.order).toBeNull();
    expect(errorCodes(byBob)).toEqual(['NOT_FOUND']);
    const missing = await platform.gql(
      `query($id: ID!) { order(id: $id) { id } }`,
      { id: '01900000-0000-7000-8000-000000000000' },
      { token: bob.token },
    );
    expect(missing.errors[0]!.message).toBe(byBob.errors[0]!.message);

    const byAdmin = await platform.gql(`query($id: ID!) { order(id: $id) { id user { email } } }`, { id }, { token: adminToken });
    expect(byAdmin.data!.order).toEqual({ id, user: { email: 'alice@example.com' } });

    const email = await platform.gql(`query($id: ID!) { user(id: $id) { name email } }`, { id: alice.id }, { token: bob.token });
    expect(errorCodes(email)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(email)).not.toContain('alice@example.com');
    const ordersOfOther = await platform.gql(
      `query($id: ID!) { user(id: $id) { orders { totalCount } } }`,
      { id: alice.id },
      { token: bob.token },
    );
    expect(errorCodes(ordersOfOther)).toEqual(['FORBIDDEN']);
  });

  test('when an account with open orders is deleted, then CONFLICT over gRPC; once they are closed, it goes', async () => {
    const carol = (await platform.gql(SIGN_UP, { input: { email: 'carol@example.com', password: 'long-enough', name: 'Carol' } })).data!
      .signUp;
    const placed = await platform.gql(
      PLACE,
      { input: { items: [{ sku: 'PD-001', quantity: 1 }], idempotencyKey: 'carol-1' } },
      { token: carol.token },
    );
    const refused = await platform.gql(`mutation($id: ID!) { deleteAccount(id: $id) }`, { id: carol.user.id }, { token: carol.token });
    expect(errorCodes(refused)).toEqual(['CONFLICT']);
    expect((await platform.gql('{ me { id } }', {}, { token: carol.token })).data!.me.id).toBe(carol.user.id);

    const byOther = await platform.gql(`mutation($id: ID!) { deleteAccount(id: $id) }`, { id: carol.user.id }, { token: bob.token });
    expect(errorCodes(byOther)).toEqual(['FORBIDDEN']);

    await platform.gql(
      `mutation($id: ID!) { cancelOrder(id: $id) { status } }`,
      { id: placed.data!.placeOrder.id },
      { token: carol.token },
    );
    const deleted = await platform.gql(`mutation($id: ID!) { deleteAccount(id: $id) }`, { id: carol.user.id }, { token: carol.token });
    expect(deleted.data!.deleteAccount).toBe(true);
    const signIn = await platform.gql(`mutation { signIn(input: { email: "carol@example.com", password: "long-enough" }) { token } }`);
    expect(errorCodes(signIn)).toEqual(['UNAUTHENTICATED']);
  });

  test('when a subgraph fails unexpectedly, then the client gets a masked INTERNAL_SERVER_ERROR with a request id and no internals', async () => {
    await orders.query('ALTER TABLE products RENAME TO products_hidden');
    try {
      const response = await platform.gql(
        '{ products(first: 1) { edges { node { sku } } } }',
        {},
        { headers: { 'x-request-id': 'trace-me-123' } },
      );
      expect(errorCodes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(response.errors[0]!.message).toBe('Internal server error');
      const leaked = JSON.stringify(response.errors.map(({ message, extensions }) => ({ message, extensions })));
      expect(leaked).not.toMatch(/products_hidden|relation|prisma|sql|stack|exception/i);
      expect(response.headers.get('x-request-id')).toBe('trace-me-123');
      const logged = platform.logs.orders.lines().find((line) => line.requestId === 'trace-me-123' && line.level === 'error');
      expect(logged).toBeDefined();
    } finally {
      await orders.query('ALTER TABLE products_hidden RENAME TO products');
    }
    const recovered = await platform.gql('{ products(first: 1) { edges { node { sku } } } }');
    expect(recovered.errors).toEqual([]);
  });

  test('when a person opens the endpoint in a browser (development), then the Sandbox landing page is served', async () => {
    const response = await fetch(`${platform.gatewayUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('embeddable-sandbox');
  });

  test('when the gateway or a subgraph answers, then the body is compact JSON (no pretty-printing)', async () => {
    const query = JSON.stringify({ query: '{ products(first: 2) { edges { node { sku } } } }' });
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: query };
    for (const url of [platform.gatewayUrl, platform.ordersUrl]) {
      const body = await (await fetch(`${url}/graphql`, init)).text();

      expect(JSON.parse(body)).toMatchObject({ data: { products: { edges: [expect.anything(), expect.anything()] } } });
      expect(body).toBe(JSON.stringify(JSON.parse(body)));
    }
  });

  test('when both subgraphs answer, then /readyz is 200; when one stops, then 503 names it', async () => {
    const ready = await fetch(`${platform.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { supergraph: 'ok', users: 'ok', orders: 'ok' } });
    expect((await fetch(`${platform.gatewayUrl}/healthz`)).status).toBe(200);
    await platform.orders.stop();
    const notReady = await fetch(`${platform.gatewayUrl}/readyz`);
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { checks: Record<string, string> };
    expect(body.checks.users).toBe('ok');
    expect(body.checks.orders).toMatch(/^failing/);
    // The orders service is down now: it is only ever stopped once.
    platform.orders.stop = async () => undefined;
  });
});
