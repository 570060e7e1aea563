import { errorCodes } from '../support/graphql-client';
import { readMetric, startTestPlatform, type TestPlatform } from '../support/test-platform';
import { signWithStrangerKey, signWithUsersKey, tamperPayload, unsignedToken } from '../support/tokens';

const ME = '{ me { id name email } }';

describe('authentication at the gateway', () => {
  let platform: TestPlatform;
  let customer: { token: string; id: string };

  const subgraphCalls = async () =>
    (await readMetric(platform.usersUrl, 'http_server_request_duration_seconds_count', { route: '/graphql' })) +
    (await readMetric(platform.ordersUrl, 'http_server_request_duration_seconds_count', { route: '/graphql' }));

  beforeAll(async () => {
    platform = await startTestPlatform();
    const signUp = await platform.gql(
      `mutation { signUp(input: { email: "kim@example.com", password: "kim-password", name: "Kim" }) { token user { id } } }`,
    );
    customer = { token: signUp.data!.signUp.token, id: signUp.data!.signUp.user.id };
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when the token is valid, then the request reaches the subgraphs as that user', async () => {
    const response = await platform.gql(ME, {}, { token: customer.token });
    expect(response.status).toBe(200);
    expect(response.data!.me).toEqual({ id: customer.id, name: 'Kim', email: 'kim@example.com' });
  });

  test('when there is no token, then the request is anonymous', async () => {
    const response = await platform.gql(ME);
    expect(response.status).toBe(200);
    expect(response.data!.me).toBeNull();
  });

  const badTokens: [string, () => Promise<string>][] = [
    ['garbage', async () => 'not-a-jwt'],
    ['signed by an unknown key', () => signWithStrangerKey({ sub: customer.id })],
    ['expired', () => signWithUsersKey(platform.dataDir, { sub: customer.id, iat: 1_700_000_000, exp: 1_700_000_600 })],
    ['tampered (role raised to ADMIN)', async () => tamperPayload(customer.token, { role: 'ADMIN' })],
    ['tampered (someone else)', async () => tamperPayload(customer.token, { sub: '00000000-0000-7000-8000-000000000000' })],
    ['unsigned (alg: none) with an ADMIN claim', async () => unsignedToken({ sub: customer.id, role: 'ADMIN' })],
    ['from another issuer', () => signWithUsersKey(platform.dataDir, { sub: customer.id, iss: 'someone-else' })],
    ['for another audience', () => signWithUsersKey(platform.dataDir, { sub: customer.id, aud: 'another-api' })],
  ];

  test.each(badTokens)('when the token is %s, then HTTP 401 UNAUTHENTICATED and no subgraph is called', async (_label, makeToken) => {
    const token = await makeToken();
    const before = await subgraphCalls();
    const response = await platform.gql(ME, {}, { token });
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
    expect(await subgraphCalls()).toBe(before);
  });

  test('when the Authorization header is not a bearer token, then HTTP 401', async () => {
    const response = await platform.gql(ME, {}, { headers: { authorization: 'Basic a2ltOmtpbS1wYXNzd29yZA==' } });
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  test('when a customer asks for admin data, then FORBIDDEN and nothing leaks', async () => {
    const response = await platform.gql('{ users { edges { node { email } } } }', {}, { token: customer.token });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(response.data).toBeNull();
  });

  test('when the token is forwarded, then each subgraph verifies it again (straight calls with a bad token are refused)', async () => {
    for (const url of [platform.usersUrl, platform.ordersUrl]) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${unsignedToken({ sub: customer.id })}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
    }
  });
});
