/**
 * The hostile-input battery: what an attacker can send, through the gateway and straight at the
 * subgraphs. Every case gets a clear error (or, for text that is legitimately text, is stored
 * verbatim and nothing else happens), a row count proves nothing was written, and the services
 * still serve afterwards.
 */
import pg from 'pg';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';
import { signWithStrangerKey, signWithUsersKey, tamperPayload, unsignedToken } from '../support/tokens';
import { codes, postGraphQL, send, type RawResponse } from './support/edge-http';

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id name email } } }';
const SIGN_IN = 'mutation($input: SignInInput!) { signIn(input: $input) { token } }';
const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';

/** Strings that try SQL injection, script injection and template injection. */
const NASTY = [
  "'; DROP TABLE users; --",
  "' OR '1'='1' --",
  '1); SELECT pg_sleep(10); --',
  '<script>alert(document.cookie)</script>',
  '"><img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}%s%n',
];

interface Counts {
  users: number;
  orders: number;
  orderItems: number;
  products: number;
}

describe('hostile input', () => {
  let platform: TestPlatform;
  let usersSql: pg.Pool;
  let ordersSql: pg.Pool;
  let alice: { token: string; id: string };
  let bob: { token: string; id: string };
  let adminToken: string;
  let aliceOrderId: string;
  let gateway: string;

  const counts = async (): Promise<Counts> => {
    const one = async (pool: pg.Pool, table: string) => Number((await pool.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    return {
      users: await one(usersSql, 'users'),
      orders: await one(ordersSql, 'orders'),
      orderItems: await one(ordersSql, 'order_items'),
      products: await one(ordersSql, 'products'),
    };
  };

  /** Runs `act` and proves no row was added, changed in number, or lost anywhere. */
  async function nothingWritten<T>(act: () => Promise<T>): Promise<T> {
    const before = await counts();
    const result = await act();
    expect(await counts()).toEqual(before);
    return result;
  }

  async function expectServing(): Promise<void> {
    const catalog = await postGraphQL(gateway, { query: '{ products(first: 1) { totalCount } }' });
    expect(catalog.status).toBe(200);
    expect(catalog.body.data.products.totalCount).toBeGreaterThan(0);
    const me = await postGraphQL(gateway, { query: '{ me { id } }' }, { authorization: `Bearer ${alice.token}` });
    expect(me.body.data.me.id).toBe(alice.id);
    for (const url of [platform.usersUrl, platform.ordersUrl, platform.gatewayUrl]) expect((await fetch(`${url}/readyz`)).status).toBe(200);
  }

  beforeAll(async () => {
    platform = await startTestPlatform({ usersEnv: { SIGN_IN_DELAY_MS: '0' } });
    gateway = `${platform.gatewayUrl}/graphql`;
    usersSql = new pg.Pool({ connectionString: platform.usersDatabase.url, max: 2 });
    ordersSql = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
    const signUp = async (email: string) => {
      const response = await platform.gql(SIGN_UP, { input: { email, password: 'long-enough', name: email.split('@')[0] } });
      return { token: response.data!.signUp.token as string, id: response.data!.signUp.user.id as string };
    };
    alice = await signUp('alice@example.com');
    bob = await signUp('bob@example.com');
    adminToken = (await platform.gql(SIGN_IN, { input: TEST_ADMIN })).data!.signIn.token;
    aliceOrderId = (
      await platform.gql(PLACE, { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: 'alice-1' } }, { token: alice.token })
    ).data!.placeOrder.id;
  });
  afterAll(async () => {
    await usersSql?.end();
    await ordersSql?.end();
    await platform?.stop();
  });

  /** `{ me { orders { edges { node { user { orders … } } } } } }`, exactly `levels` fields deep. */
  function nested(levels: number): string {
    const cycle = ['orders', 'edges', 'node', 'user'];
    const leafOf: Record<string, string> = { me: 'id', user: 'id', orders: 'totalCount', edges: 'cursor', node: 'id' };
    const fields = ['me'];
    while (fields.length < levels - 1) fields.push(cycle[(fields.length - 1) % 4]!);
    return `{ ${fields.reduceRight((inner, field) => `${field} { ${inner} }`, leafOf[fields.at(-1)!]!)} }`;
  }

  const oneMegabyteDocument = () => `{ ${'__typename '.repeat(Math.floor(1_000_000 / 11))}}`;
  const thousandAliases = () => `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
  const malformedJson = (url: string) =>
    send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{ products { totalCount } }", ' });
  const getMutation = (url: string, preflight: boolean) => {
    const mutation = url.startsWith(platform.ordersUrl)
      ? 'mutation { placeOrder(input: { items: [{ sku: "KB-001", quantity: 1 }], idempotencyKey: "get" }) { id } }'
      : 'mutation { signUp(input: { email: "get@example.com", password: "long-enough", name: "Get" }) { token } }';
    return send(`${url}?query=${encodeURIComponent(mutation)}`, { headers: preflight ? { 'apollo-require-preflight': 'true' } : {} });
  };

  describe('through the gateway', () => {
    afterAll(async () => {
      await expectServing();
    });

    const cases: { label: string; request: () => Promise<RawResponse>; status: number; code: string }[] = [
      { label: 'malformed JSON', request: () => malformedJson(gateway), status: 400, code: 'BAD_REQUEST' },
      { label: 'a GET mutation', request: () => getMutation(gateway, true), status: 405, code: 'BAD_REQUEST' },
      {
        label: 'a GET mutation without a preflight header (CSRF)',
        request: () => getMutation(gateway, false),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        label: 'a 1 MB document',
        request: () => postGraphQL(gateway, { query: oneMegabyteDocument() }),
        status: 400,
        code: 'OPERATION_TOO_LARGE',
      },
      // 3 000 tokens: the token limit (1 000) refuses it before the alias limit (15) would.
      {
        label: '1,000 aliases',
        request: () => postGraphQL(gateway, { query: thousandAliases() }),
        status: 400,
        code: 'OPERATION_TOO_LARGE',
      },
      {
        label: '16 aliases',
        request: () => postGraphQL(gateway, { query: `{ me { ${Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ')} } }` }),
        status: 400,
        code: 'OPERATION_TOO_MANY_ALIASES',
      },
      { label: 'depth 50', request: () => postGraphQL(gateway, { query: nested(50) }), status: 400, code: 'OPERATION_TOO_DEEP' },
      {
        label: 'fragment cycles',
        request: () => postGraphQL(gateway, { query: '{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }' }),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      {
        label: 'unknown fields',
        request: () => postGraphQL(gateway, { query: '{ me { id passwordHash } adminSecrets }' }),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      {
        label: 'wrong variable types',
        request: () =>
          postGraphQL(
            gateway,
            { query: PLACE, variables: { input: { items: [{ sku: 'KB-001', quantity: 'ten' }], idempotencyKey: 7 } } },
            { authorization: `Bearer ${alice.token}` },
          ),
        status: 400,
        code: 'BAD_USER_INPUT',
      },
      {
        label: 'an empty body',
        request: () => send(gateway, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      { label: 'a JSON array of nothing', request: () => postGraphQL(gateway, []), status: 400, code: 'BAD_REQUEST' },
      {
        label: 'a query that is not a string',
        request: () => postGraphQL(gateway, { query: { toString: 1 } }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        label: 'variables that are not an object',
        request: () => postGraphQL(gateway, { query: '{ me { id } }', variables: [1, 2] }),
        status: 400,
        code: 'BAD_REQUEST',
      },
    ];

    test.each(cases)('when the gateway gets $label, then HTTP $status $code and nothing is written', async ({ request, status, code }) => {
      const response = await nothingWritten(request);
      expect(response.status).toBe(status);
      expect([...new Set(codes(response))]).toEqual([code]);
      expect(JSON.stringify(response.body)).not.toMatch(/stacktrace|Internal server error/);
    });

    test('when names are 10 kB long, then BAD_USER_INPUT names the field and nothing is written', async () => {
      const long = 'n'.repeat(10_000);
      await nothingWritten(async () => {
        const signUp = await postGraphQL(gateway, {
          query: SIGN_UP,
          variables: { input: { email: 'long@example.com', password: 'long-enough', name: long } },
        });
        expect(signUp.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
        const email = await postGraphQL(gateway, {
          query: SIGN_UP,
          variables: { input: { email: `${long}@example.com`, password: 'long-enough', name: 'Long' } },
        });
        expect(email.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
        const profile = await postGraphQL(
          gateway,
          { query: 'mutation($n: String!) { updateProfile(input: { name: $n }) { name } }', variables: { n: long } },
          { authorization: `Bearer ${alice.token}` },
        );
        expect(profile.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
        const product = await postGraphQL(
          gateway,
          {
            query: 'mutation($i: ProductInput!) { upsertProduct(input: $i) { sku } }',
            variables: { i: { sku: 'LONG-1', name: long, priceCents: 1, currency: 'USD', stock: 1 } },
          },
          { authorization: `Bearer ${adminToken}` },
        );
        expect(product.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
      });
      const stored = await usersSql.query('SELECT name FROM users WHERE id = $1', [alice.id]);
      expect(stored.rows[0].name).toBe('alice');
    });

    const unsafeUnicode: [string, Record<string, string>, string][] = [
      ['a NUL in the name', { name: 'Eve\u0000Admin' }, 'input.name'],
      ['a NUL in the email', { email: 'eve\u0000@example.com' }, 'input.email'],
      ['a right-to-left override in the name', { name: 'Eve\u202Enimda' }, 'input.name'],
      ['a bidi isolate in the name', { name: 'Eve\u2066x\u2069' }, 'input.name'],
      ['a lone surrogate in the name', { name: 'Eve\uD800' }, 'input.name'],
      ['an emoji in the email', { email: 'eve🙂@example.com' }, 'input.email'],
      ['a right-to-left mark in the email', { email: 'eve\u200F@example.com' }, 'input.email'],
    ];
    test.each(unsafeUnicode)('when signing up with %s, then BAD_USER_INPUT and nothing is written', async (_label, override, field) => {
      const response = await nothingWritten(() =>
        postGraphQL(gateway, {
          query: SIGN_UP,
          variables: { input: { email: 'eve@example.com', password: 'long-enough', name: 'Eve', ...override } },
        }),
      );
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors[0].extensions.field).toBe(field);
    });

    test('when a name holds emoji, right-to-left script and direction marks, then it is stored and returned exactly as given', async () => {
      const name = '\u200Fנועה 👩🏽‍💻 Zoë\u200E';
      const before = await counts();
      const response = await postGraphQL(gateway, {
        query: SIGN_UP,
        variables: { input: { email: 'noa@example.com', password: 'long-enough', name } },
      });
      expect(response.body.data.signUp.user.name).toBe(name);
      expect(await counts()).toEqual({ ...before, users: before.users + 1 });
      expect((await usersSql.query('SELECT name FROM users WHERE email = $1', ['noa@example.com'])).rows[0].name).toBe(name);
    });

    test('when an order carries a lone surrogate in its idempotency key, then BAD_USER_INPUT and nothing is written', async () => {
      const response = await nothingWritten(() =>
        postGraphQL(
          gateway,
          { query: PLACE, variables: { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: 'k\uDC00' } } },
          { authorization: `Bearer ${alice.token}` },
        ),
      );
      expect(response.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
    });

    describe.each(NASTY)('when every string argument is %j', (nasty) => {
      test('then lookups find nothing and say so, and nothing is written', async () => {
        await nothingWritten(async () => {
          const asAlice = { authorization: `Bearer ${alice.token}` };
          const asAdmin = { authorization: `Bearer ${adminToken}` };
          const lookups: [unknown, string, Record<string, string>][] = [
            [{ query: 'query($s: ID!) { product(sku: $s) { sku } }', variables: { s: nasty } }, 'null', {}],
            [{ query: 'query($id: ID!) { user(id: $id) { id } }', variables: { id: nasty } }, 'null', asAlice],
            [{ query: 'query($id: ID!) { order(id: $id) { id } }', variables: { id: nasty } }, 'NOT_FOUND', asAlice],
            [{ query: 'query($a: String) { products(after: $a) { totalCount } }', variables: { a: nasty } }, 'BAD_USER_INPUT', {}],
            [{ query: 'query($a: String) { users(after: $a) { totalCount } }', variables: { a: nasty } }, 'BAD_USER_INPUT', asAdmin],
            [
              { query: 'query($a: String) { me { orders(after: $a) { totalCount } } }', variables: { a: nasty } },
              'BAD_USER_INPUT',
              asAlice,
            ],
            [{ query: SIGN_IN, variables: { input: { email: nasty, password: nasty } } }, 'UNAUTHENTICATED', {}],
            [{ query: SIGN_IN, variables: { input: { email: 'alice@example.com', password: nasty } } }, 'UNAUTHENTICATED', {}],
            [{ query: SIGN_UP, variables: { input: { email: nasty, password: 'long-enough', name: 'X' } } }, 'BAD_USER_INPUT', {}],
            [
              { query: PLACE, variables: { input: { items: [{ sku: nasty, quantity: 1 }], idempotencyKey: 'nasty' } } },
              'BAD_USER_INPUT',
              asAlice,
            ],
            [{ query: 'mutation($id: ID!) { cancelOrder(id: $id) { id } }', variables: { id: nasty } }, 'NOT_FOUND', asAlice],
            [{ query: 'mutation($id: ID!) { deleteAccount(id: $id) }', variables: { id: nasty } }, 'FORBIDDEN', asAlice],
            [{ query: 'mutation($id: ID!) { deleteAccount(id: $id) }', variables: { id: nasty } }, 'NOT_FOUND', asAdmin],
            [{ query: 'mutation($id: ID!) { suspendUser(id: $id) { id } }', variables: { id: nasty } }, 'NOT_FOUND', asAdmin],
            [{ query: 'mutation($id: ID!) { shipOrder(id: $id) { id } }', variables: { id: nasty } }, 'NOT_FOUND', asAdmin],
            [
              {
                query: 'mutation($i: ProductInput!) { upsertProduct(input: $i) { sku } }',
                variables: { i: { sku: nasty, name: 'X', priceCents: 1, currency: 'USD', stock: 1 } },
              },
              'BAD_USER_INPUT',
              asAdmin,
            ],
            [
              {
                query: 'mutation($i: ProductInput!) { upsertProduct(input: $i) { sku } }',
                variables: { i: { sku: 'NASTY-1', name: 'X', priceCents: 1, currency: nasty, stock: 1 } },
              },
              'BAD_USER_INPUT',
              asAdmin,
            ],
          ];
          for (const [body, expected, headers] of lookups) {
            const response = await postGraphQL(gateway, body, headers);
            expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
            if (expected === 'null') {
              expect(response.body.errors).toBeUndefined();
              expect(Object.values(response.body.data)).toEqual([null]);
            } else {
              expect({ body, codes: codes(response) }).toEqual({ body, codes: [expected] });
            }
          }
        });
      });

      test('then text that may hold anything (names, idempotency keys) is stored verbatim, as data, and nothing else changes', async () => {
        const before = await counts();
        const name = nasty.slice(0, 100);
        const profile = await postGraphQL(
          gateway,
          { query: 'mutation($n: String!) { updateProfile(input: { name: $n }) { name } }', variables: { n: name } },
          { authorization: `Bearer ${bob.token}` },
        );
        expect(profile.body.data.updateProfile.name).toBe(name.trim());
        const order = await postGraphQL(
          gateway,
          {
            query: 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id items { product { sku } } } }',
            variables: { i: { items: [{ sku: 'MS-001', quantity: 1 }], idempotencyKey: nasty } },
          },
          { authorization: `Bearer ${bob.token}` },
        );
        expect(order.body.errors).toBeUndefined();
        const stored = await ordersSql.query('SELECT idempotency_key FROM orders WHERE id = $1', [order.body.data.placeOrder.id]);
        expect(stored.rows[0].idempotency_key).toBe(nasty);
        expect(await counts()).toEqual({ ...before, orders: before.orders + 1, orderItems: before.orderItems + 1 });
      });
    });
  });

  describe('tokens', () => {
    afterAll(async () => {
      await expectServing();
    });

    const badTokens: [string, () => Promise<string>][] = [
      ['garbage', async () => 'not-a-jwt'],
      ['expired', () => signWithUsersKey(platform.dataDir, { sub: alice.id, iat: 1_700_000_000, exp: 1_700_000_600 })],
      ['tampered (role raised to ADMIN)', async () => tamperPayload(alice.token, { role: 'ADMIN' })],
      ['unsigned (alg: none) with an ADMIN claim', async () => unsignedToken({ sub: alice.id, role: 'ADMIN' })],
      ['signed by an unknown key', () => signWithStrangerKey({ sub: alice.id, role: 'ADMIN' })],
      ['from another issuer', () => signWithUsersKey(platform.dataDir, { sub: alice.id, iss: 'someone-else' })],
      ['for another audience', () => signWithUsersKey(platform.dataDir, { sub: alice.id, aud: 'another-api' })],
    ];

    test.each(badTokens)(
      'when the token is %s, then the gateway and both subgraphs answer 401 UNAUTHENTICATED and nothing is written',
      async (_label, makeToken) => {
        const token = await makeToken();
        await nothingWritten(async () => {
          for (const url of [gateway, `${platform.usersUrl}/graphql`, `${platform.ordersUrl}/graphql`]) {
            const response = await postGraphQL(url, { query: '{ __typename }' }, { authorization: `Bearer ${token}` });
            expect({ url, status: response.status, codes: codes(response) }).toEqual({ url, status: 401, codes: ['UNAUTHENTICATED'] });
          }
          const place = await postGraphQL(
            gateway,
            { query: PLACE, variables: { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: 'forged' } } },
            { authorization: `Bearer ${token}` },
          );
          expect(place.status).toBe(401);
        });
      },
    );

    test('when an account is deleted, then its still-valid token is refused: UNAUTHENTICATED at the users service, FORBIDDEN for orders', async () => {
      const doomed = (await platform.gql(SIGN_UP, { input: { email: 'doomed@example.com', password: 'long-enough', name: 'Doomed' } }))
        .data!.signUp;
      const asDoomed = { authorization: `Bearer ${doomed.token}` };
      expect(
        (
          await postGraphQL(
            gateway,
            { query: 'mutation($id: ID!) { deleteAccount(id: $id) }', variables: { id: doomed.user.id } },
            asDoomed,
          )
        ).body.data,
      ).toEqual({
        deleteAccount: true,
      });

      await nothingWritten(async () => {
        const me = await postGraphQL(gateway, { query: '{ me { id name } }' }, asDoomed);
        expect(codes(me)).toEqual(['UNAUTHENTICATED']);
        expect(JSON.stringify(me.body)).not.toContain('Doomed');
        const profile = await postGraphQL(gateway, { query: 'mutation { updateProfile(input: { name: "Back" }) { id } }' }, asDoomed);
        expect(codes(profile)).toEqual(['UNAUTHENTICATED']);
        const place = await postGraphQL(
          gateway,
          { query: PLACE, variables: { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: 'ghost' } } },
          asDoomed,
        );
        expect(codes(place)).toEqual(['FORBIDDEN']);
        const direct = await postGraphQL(`${platform.usersUrl}/graphql`, { query: '{ me { id } }' }, asDoomed);
        expect(direct.status).toBe(401);
        expect(codes(direct)).toEqual(['UNAUTHENTICATED']);
      });
    });
  });

  describe('hand-made _entities requests, straight at the subgraphs', () => {
    const USER_ENTITY = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }';
    const ORDER_ENTITY = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id totalCents user { id } } } }';
    const USER_ORDERS = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { totalCount } } } }';
    afterAll(async () => {
      await expectServing();
    });

    const ask = (url: string, query: string, representations: unknown[], headers: Record<string, string> = {}) =>
      postGraphQL(`${url}/graphql`, { query, variables: { r: representations } }, headers);

    test('when there is no token, then the email, the order and the order list are refused and do not leak', async () => {
      const email = await ask(platform.usersUrl, USER_ENTITY, [{ __typename: 'User', id: alice.id }]);
      expect(codes(email)).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(email.body)).not.toContain('alice@example.com');
      const order = await ask(platform.ordersUrl, ORDER_ENTITY, [{ __typename: 'Order', id: aliceOrderId }]);
      expect(codes(order)).toContain('UNAUTHENTICATED');
      expect(order.body.data._entities).toEqual([null]);
      const list = await ask(platform.ordersUrl, USER_ORDERS, [{ __typename: 'User', id: alice.id }]);
      expect(codes(list)).toEqual(['UNAUTHENTICATED']);
    });

    test("when another user's token is used, then FORBIDDEN for the email and the order list, NOT_FOUND for the order", async () => {
      const asBob = { authorization: `Bearer ${bob.token}` };
      const email = await ask(platform.usersUrl, USER_ENTITY, [{ __typename: 'User', id: alice.id }], asBob);
      expect(codes(email)).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(email.body)).not.toContain('alice@example.com');
      const order = await ask(platform.ordersUrl, ORDER_ENTITY, [{ __typename: 'Order', id: aliceOrderId }], asBob);
      expect(codes(order)).toContain('NOT_FOUND');
      expect(JSON.stringify(order.body)).not.toContain(alice.id);
      expect(codes(await ask(platform.ordersUrl, USER_ORDERS, [{ __typename: 'User', id: alice.id }], asBob))).toEqual(['FORBIDDEN']);
    });

    test('when an ADMIN claim is forged into an unsigned token, then 401 and nothing is read', async () => {
      const forged = { authorization: `Bearer ${unsignedToken({ sub: bob.id, role: 'ADMIN' })}` };
      for (const [url, query] of [
        [platform.usersUrl, USER_ENTITY],
        [platform.ordersUrl, ORDER_ENTITY],
      ] as const) {
        const response = await ask(
          url,
          query,
          [{ __typename: query === USER_ENTITY ? 'User' : 'Order', id: query === USER_ENTITY ? alice.id : aliceOrderId }],
          forged,
        );
        expect(response.status).toBe(401);
        expect(response.body.data ?? null).toBeNull();
      }
    });

    test.each([
      ['an empty object', {}],
      ['an unknown type', { __typename: 'Nope', id: 'x' }],
      ['a type that is no entity', { __typename: 'Query' }],
      ['a prototype name', { __typename: '__proto__' }],
      ['a bare string', 'User'],
      ['an array', [{ __typename: 'User' }]],
    ])(
      'when a representation is %s, then BAD_USER_INPUT names it, and nothing is logged at error level',
      async (_label, representation) => {
        for (const url of [platform.usersUrl, platform.ordersUrl]) {
          const errorsBefore = [...platform.logs.users.lines(), ...platform.logs.orders.lines()].filter(
            (line) => line.level === 'error',
          ).length;
          const response = await ask(url, 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', [representation], {
            authorization: `Bearer ${alice.token}`,
          });
          expect(codes(response)).toEqual(['BAD_USER_INPUT']);
          expect(response.body.errors[0].extensions.field).toMatch(/^representations\[0\]/);
          const errorsAfter = [...platform.logs.users.lines(), ...platform.logs.orders.lines()].filter(
            (line) => line.level === 'error',
          ).length;
          expect(errorsAfter).toBe(errorsBefore);
        }
      },
    );
  });

  describe('straight at the subgraphs', () => {
    afterAll(async () => {
      await expectServing();
    });

    const subgraphs = () => [`${platform.usersUrl}/graphql`, `${platform.ordersUrl}/graphql`];
    const cases: { label: string; request: (url: string) => Promise<RawResponse>; status: number; code: string }[] = [
      { label: 'malformed JSON', request: malformedJson, status: 400, code: 'BAD_REQUEST' },
      { label: 'a GET mutation', request: (url) => getMutation(url, true), status: 405, code: 'BAD_REQUEST' },
      // Subgraphs parse at most 15 000 tokens (the gateway's finer limits are not theirs).
      {
        label: 'a 1 MB document',
        request: (url) => postGraphQL(url, { query: oneMegabyteDocument() }),
        status: 400,
        code: 'GRAPHQL_PARSE_FAILED',
      },
      {
        label: 'fragment cycles',
        request: (url) => postGraphQL(url, { query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      {
        label: 'unknown fields',
        request: (url) => postGraphQL(url, { query: '{ _service { sdl } secrets }' }),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      {
        label: 'wrong variable types',
        request: (url) =>
          postGraphQL(url, { query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', variables: { r: 'User' } }),
        status: 200,
        code: 'BAD_USER_INPUT',
      },
    ];

    test.each(cases)('when a subgraph gets $label, then HTTP $status $code and nothing is written', async ({ request, status, code }) => {
      for (const url of subgraphs()) {
        const response = await nothingWritten(() => request(url));
        expect({ url, status: response.status, codes: codes(response) }).toEqual({ url, status, codes: [code] });
      }
    });

    test('when a subgraph gets a depth-50 query, then it is refused (users: no such fields; orders: sign in first) and nothing is written', async () => {
      await nothingWritten(async () => {
        expect(codes(await postGraphQL(`${platform.usersUrl}/graphql`, { query: nested(50) }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        const cycle = ['user', 'orders', 'edges', 'node'];
        const leafOf: Record<string, string> = { user: 'id', orders: 'totalCount', edges: 'cursor', node: 'id' };
        const fields = Array.from({ length: 48 }, (_, i) => cycle[i % 4]!);
        const deep = `{ order(id: "${aliceOrderId}") { ${fields.reduceRight((inner, field) => `${field} { ${inner} }`, leafOf[fields.at(-1)!]!)} } }`;
        const response = await postGraphQL(`${platform.ordersUrl}/graphql`, { query: deep });
        expect(codes(response)).toEqual(['UNAUTHENTICATED']);
        expect(response.body.data).toEqual({ order: null });
      });
    });

    test('when a subgraph gets 1,000 aliases of __typename, then it answers them at once (subgraphs leave alias limits to the gateway)', async () => {
      const started = performance.now();
      const response = await nothingWritten(() => postGraphQL(`${platform.ordersUrl}/graphql`, { query: thousandAliases() }));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body.data)).toHaveLength(1_000);
      expect(performance.now() - started).toBeLessThan(1_000);
    });
  });

  test('when the whole battery has run, then no service logged an error: every hostile input got an expected answer, none a masked 500', () => {
    const errors = Object.entries(platform.logs).flatMap(([service, logs]) =>
      logs
        .lines()
        .filter((line) => line.level === 'error' || line.level === 'fatal')
        .map((line) => ({ service, msg: line.msg, err: (line.err as { message?: string } | undefined)?.message })),
    );
    expect(errors).toEqual([]);
  });
});
