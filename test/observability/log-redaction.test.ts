/**
 * Observability: representative traffic (sign-ups, sign-ins, orders, mistakes, forged and
 * malformed tokens), and then not one line any service logged, at debug level, contains a
 * token, a password or an email address that was used. The services log through their real
 * (redacting) loggers, captured in memory.
 */
import { graphqlClient } from '../support/graphql-client';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';
import { signWithStrangerKey, tamperPayload, unsignedToken } from '../support/tokens';

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        email
      }
    }
  }
`;
const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
    }
  }
`;
const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
    }
  }
`;
const MY_ORDERS = /* GraphQL */ `
  query MyOrders {
    me {
      email
      orders {
        totalCount
        edges {
          node {
            id
            status
          }
        }
      }
    }
  }
`;

const CUSTOMER = { email: 'Secret.Customer@Example.com', password: 'customer-secret-password', name: 'Customer' };
const OTHER = { email: 'other.person@example.org', password: 'other-secret-password', name: 'Other' };
const WRONG_PASSWORD = 'mistyped-secret-password';
const UNKNOWN_EMAIL = 'nobody.here@example.net';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

test('when a run of representative traffic is logged, then no line holds a token (access or refresh), a password or an email address', async () => {
  const { gql } = platform;
  const secrets = new Set<string>([CUSTOMER.password, OTHER.password, WRONG_PASSWORD, TEST_ADMIN.password]);
  const emails = [CUSTOMER.email, OTHER.email, UNKNOWN_EMAIL, TEST_ADMIN.email];
  const keepToken = (token: string) => {
    // The whole token, and its payload and signature on their own (the header is the same for every token).
    secrets.add(token);
    for (const part of token.split('.').slice(1)) if (part.length > 8) secrets.add(part);
    return token;
  };

  const customer = (await gql(SIGN_UP, { input: CUSTOMER })).data!.signUp;
  keepToken(customer.token);
  keepToken((await gql(SIGN_UP, { input: OTHER })).data!.signUp.token);
  expect((await gql(SIGN_UP, { input: CUSTOMER })).errors[0]?.extensions?.code).toBe('CONFLICT');
  const signedIn = keepToken((await gql(SIGN_IN, { input: { email: CUSTOMER.email, password: CUSTOMER.password } })).data!.signIn.token);
  const admin = keepToken((await gql(SIGN_IN, { input: TEST_ADMIN })).data!.signIn.token);
  expect((await gql(SIGN_IN, { input: { email: CUSTOMER.email, password: WRONG_PASSWORD } })).errors[0]?.extensions?.code).toBe(
    'UNAUTHENTICATED',
  );
  expect((await gql(SIGN_IN, { input: { email: UNKNOWN_EMAIL, password: WRONG_PASSWORD } })).errors[0]?.extensions?.code).toBe(
    'UNAUTHENTICATED',
  );

  const sku = (await gql(`{ products(first: 1) { edges { node { sku } } } }`)).data!.products.edges[0].node.sku;
  const placed = await gql(PLACE_ORDER, { input: { items: [{ sku, quantity: 1 }], idempotencyKey: 'redaction-1' } }, { token: signedIn });
  expect(placed.errors).toEqual([]);
  expect((await gql(MY_ORDERS, {}, { token: signedIn })).data!.me.orders.totalCount).toBe(1);
  await gql(`query Users { users(first: 10) { edges { node { email } } } }`, {}, { token: admin });
  await gql(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: placed.data!.placeOrder.id }, { token: signedIn });

  // Tokens that must be refused: malformed, unsigned, tampered, signed by a stranger; at the gateway and at a subgraph.
  const malformed = keepToken('not-a-jwt.at-all-secret-garbage.value');
  const unsigned = keepToken(unsignedToken({ sub: customer.user.id }));
  const tampered = keepToken(tamperPayload(signedIn, { role: 'ADMIN' }));
  const stranger = keepToken(await signWithStrangerKey({ sub: customer.user.id }));
  for (const token of [malformed, unsigned, tampered, stranger]) {
    expect((await gql(MY_ORDERS, {}, { token })).status).toBe(401);
    expect((await graphqlClient(`${platform.usersUrl}/graphql`)(`{ me { id } }`, {}, { token })).status).toBe(401);
  }

  // Sessions: the refresh token travels as a cookie and between gateway and users service in headers.
  const origin = new URL(platform.gatewayUrl).origin;
  const session = async (query: string, variables: Record<string, unknown>, cookie?: string) => {
    const response = await fetch(`${platform.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...(cookie ? { cookie: `fedshop_refresh=${cookie}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const value = /^fedshop_refresh=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    if (value) secrets.add(value);
    return { body: (await response.json()) as { data?: any }, cookie: value };
  };
  const first = await session(SIGN_IN, { input: { email: OTHER.email, password: OTHER.password } });
  const rotated = await session('mutation { refreshSession { token } }', {}, first.cookie);
  keepToken(rotated.body.data.refreshSession.token);
  await session('mutation { refreshSession { token } }', {}, first.cookie); // reuse: the family is revoked
  await session('mutation { signOut }', {}, rotated.cookie);
  expect(secrets.size).toBeGreaterThan(12);

  const lines = [platform.logs.gateway, platform.logs.users, platform.logs.orders].flatMap((captured) => captured.lines());
  // Enough was logged for the check to mean something: one line per request at least, errors included.
  expect(lines.filter((line) => line.msg === 'request').length).toBeGreaterThan(20);
  const leaks = lines
    .map((line) => JSON.stringify(line))
    .flatMap((text) => [
      ...[...secrets].filter((secret) => text.includes(secret)).map((secret) => `${secret.slice(0, 12)}… in ${text.slice(0, 200)}`),
      ...emails.filter((email) => text.toLowerCase().includes(email.toLowerCase())).map((email) => `${email} in ${text.slice(0, 200)}`),
      ...(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}/.test(text) ? [`an email address in ${text.slice(0, 200)}`] : []),
    ]);
  expect(leaks).toEqual([]);
});
