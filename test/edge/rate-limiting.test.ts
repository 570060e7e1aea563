import { randomUUID } from 'node:crypto';
import { freePort } from '@fedshop/shared/testing';
import { readMetric, startTestPlatform, type TestPlatform } from '../support/test-platform';
import {
  codes,
  postGraphQL,
  startExtraGateway,
  startGatewayProcess,
  subgraphCalls,
  type GatewayProcess,
  type RawResponse,
} from './support/edge-http';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.info('REDIS_URL is not set: the shared-Redis rate-limit tests are skipped (CI sets it).');

const PRODUCTS = { query: '{ products(first: 1) { totalCount } }' };
const signIn = (email: string) => ({
  query: 'mutation($input: SignInInput!) { signIn(input: $input) { token } }',
  variables: { input: { email, password: 'not-the-password' } },
});

/** The one error of a 429 and its headers, as a client sees them. */
function expectRateLimited(response: RawResponse, limit: number): void {
  expect(response.status).toBe(429);
  expect(codes(response)).toEqual(['RATE_LIMITED']);
  expect(response.body.data ?? null).toBeNull();
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(response.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(response.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(response.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  expect(response.body.errors[0].extensions).toMatchObject({ limit, retryAfterSeconds: Number(response.headers.get('retry-after')) });
}

describe('rate limiting at the gateway (buckets in memory)', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    // Sign-in throttling at the users service is not what is tested here: no waits there.
    platform = await startTestPlatform({ usersEnv: { SIGN_IN_DELAY_MS: '0' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when an anonymous client goes over its budget, then 429 RATE_LIMITED with Retry-After and RateLimit headers, and no subgraph is called', async () => {
    const gateway = await startExtraGateway(platform, { RATE_LIMIT_ANON_PER_MIN: '5' });
    try {
      const allowed: RawResponse[] = [];
      for (let i = 0; i < 5; i++) allowed.push(await postGraphQL(gateway.graphqlUrl, PRODUCTS));
      expect(allowed.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      expect(allowed.map((response) => response.headers.get('ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
      expect(allowed[0]!.headers.get('ratelimit-limit')).toBe('5');

      const before = await subgraphCalls(platform);
      const refused = await postGraphQL(gateway.graphqlUrl, PRODUCTS);
      expectRateLimited(refused, 5);
      expect(Number(refused.headers.get('retry-after'))).toBe(12);
      expect(await subgraphCalls(platform)).toBe(before);
      expect(await readMetric(gateway.url, 'gateway_rate_limited_requests_total', { bucket: 'anonymous' })).toBe(1);
    } finally {
      await gateway.stop();
    }
  });

  test('when a client sends garbage tokens, then each 401 still costs its address, so forged tokens cannot be sprayed for free', async () => {
    const gateway = await startExtraGateway(platform, { RATE_LIMIT_ANON_PER_MIN: '3' });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await postGraphQL(gateway.graphqlUrl, PRODUCTS, { authorization: `Bearer forged.${i}.token` })).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await gateway.stop();
    }
  });

  test('when a user signs in, then their budget is per user (RATE_LIMIT_USER_PER_MIN), apart from the address', async () => {
    const gateway = await startExtraGateway(platform, { RATE_LIMIT_ANON_PER_MIN: '2', RATE_LIMIT_USER_PER_MIN: '4' });
    try {
      const signUp = await platform.gql(
        `mutation { signUp(input: { email: "budget@example.com", password: "long-enough", name: "B" }) { token } }`,
      );
      const token = signUp.data!.signUp.token as string;
      const me = { query: '{ me { id } }' };
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await postGraphQL(gateway.graphqlUrl, me, { authorization: `Bearer ${token}` })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      // The address's anonymous budget is untouched by the user's requests.
      expect((await postGraphQL(gateway.graphqlUrl, PRODUCTS)).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });

  test('when signIn is tried from one address with many emails, then the credential bucket (RATE_LIMIT_AUTH_PER_MIN) refuses before the users service is asked', async () => {
    const gateway = await startExtraGateway(platform, { RATE_LIMIT_AUTH_PER_MIN: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        expect(codes(await postGraphQL(gateway.graphqlUrl, signIn(`stuffing-${i}@example.com`)))).toEqual(['UNAUTHENTICATED']);
      }
      const usersBefore = await readMetric(platform.usersUrl, 'http_server_request_duration_seconds_count', { route: '/graphql' });
      expectRateLimited(await postGraphQL(gateway.graphqlUrl, signIn('stuffing-3@example.com')), 3);
      expect(await readMetric(platform.usersUrl, 'http_server_request_duration_seconds_count', { route: '/graphql' })).toBe(usersBefore);
      // Reading the catalog is another budget.
      expect((await postGraphQL(gateway.graphqlUrl, PRODUCTS)).status).toBe(200);
      expect(await readMetric(gateway.url, 'gateway_rate_limited_requests_total', { bucket: 'auth_address' })).toBe(1);
    } finally {
      await gateway.stop();
    }
  });

  test('when signIn is aliased many times in one operation, then every alias is an attempt', async () => {
    const gateway = await startExtraGateway(platform, { RATE_LIMIT_AUTH_PER_MIN: '3' });
    try {
      const aliases = Array.from(
        { length: 4 },
        (_, i) => `a${i}: signIn(input: { email: "alias-${i}@example.com", password: "x" }) { token }`,
      ).join(' ');
      const before = await subgraphCalls(platform);
      const refused = await postGraphQL(gateway.graphqlUrl, { query: `mutation { ${aliases} }` });
      expect(refused.status).toBe(429);
      expect(codes(refused)).toEqual(['RATE_LIMITED']);
      expect(await subgraphCalls(platform)).toBe(before);
    } finally {
      await gateway.stop();
    }
  });

  test('when one email is targeted from many addresses behind a trusted proxy, then the per-email bucket refuses it', async () => {
    const gateway = await startExtraGateway(platform, { RATE_LIMIT_AUTH_PER_MIN: '3', TRUSTED_PROXIES: '127.0.0.1, ::1' });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await postGraphQL(gateway.graphqlUrl, signIn('victim@example.com'), { 'x-forwarded-for': `198.51.100.${i}` });
        expect(codes(response)).toEqual(['UNAUTHENTICATED']);
      }
      const refused = await postGraphQL(gateway.graphqlUrl, signIn('VICTIM@example.com'), { 'x-forwarded-for': '198.51.100.99' });
      expectRateLimited(refused, 3);
      // Another email from yet another address is fine: it was the email that ran out.
      expect(codes(await postGraphQL(gateway.graphqlUrl, signIn('other@example.com'), { 'x-forwarded-for': '198.51.100.100' }))).toEqual([
        'UNAUTHENTICATED',
      ]);
      expect(await readMetric(gateway.url, 'gateway_rate_limited_requests_total', { bucket: 'auth_email' })).toBe(1);
    } finally {
      await gateway.stop();
    }
  });

  test('when X-Forwarded-For comes from a trusted proxy, then each forwarded client has its own budget; from anyone else, it is ignored', async () => {
    const trusting = await startExtraGateway(platform, { RATE_LIMIT_ANON_PER_MIN: '2', TRUSTED_PROXIES: '127.0.0.1, ::1' });
    const distrusting = await startExtraGateway(platform, { RATE_LIMIT_ANON_PER_MIN: '2' });
    try {
      const through = async (url: string, client: string) => (await postGraphQL(url, PRODUCTS, { 'x-forwarded-for': client })).status;
      expect([
        await through(trusting.graphqlUrl, '203.0.113.1'),
        await through(trusting.graphqlUrl, '203.0.113.1'),
        await through(trusting.graphqlUrl, '203.0.113.1'),
      ]).toEqual([200, 200, 429]);
      expect(await through(trusting.graphqlUrl, '203.0.113.2')).toBe(200);
      // A client forging a hop to the left of the proxy's own is still 203.0.113.1.
      expect(await through(trusting.graphqlUrl, '6.6.6.6, 203.0.113.1')).toBe(429);

      expect([
        await through(distrusting.graphqlUrl, '203.0.113.3'),
        await through(distrusting.graphqlUrl, '203.0.113.4'),
        await through(distrusting.graphqlUrl, '203.0.113.5'),
      ]).toEqual([200, 200, 429]);
    } finally {
      await Promise.all([trusting.stop(), distrusting.stop()]);
    }
  });

  test("when one email keeps failing through the gateway, then the users service's lock arrives as RATE_LIMITED with retryAfterSeconds, the same for an unknown email", async () => {
    await platform.gql(`mutation { signUp(input: { email: "locked@example.com", password: "the-right-one", name: "L" }) { token } }`);
    const attempt = (email: string, password: string) =>
      platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: { email, password } });
    for (let i = 0; i < 10; i++) {
      expect((await attempt('locked@example.com', `wrong-${i}`)).errors[0]!.extensions!.code).toBe('UNAUTHENTICATED');
      expect((await attempt('no-account@example.com', `wrong-${i}`)).errors[0]!.extensions!.code).toBe('UNAUTHENTICATED');
    }
    const known = await attempt('locked@example.com', 'the-right-one');
    const unknown = await attempt('no-account@example.com', 'the-right-one');
    for (const response of [known, unknown]) {
      expect(response.errors).toHaveLength(1);
      expect(response.errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(response.data).toBeNull();
    }
    expect(known.errors[0]!.message).toBe(unknown.errors[0]!.message);
  });

  test('when Redis is unreachable, then by default requests pass (fail-open), and it is logged and counted', async () => {
    const gateway = await startExtraGateway(platform, { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_ANON_PER_MIN: '1' });
    try {
      for (let i = 0; i < 3; i++) expect((await postGraphQL(gateway.graphqlUrl, PRODUCTS)).status).toBe(200);
      expect(await readMetric(gateway.url, 'gateway_rate_limit_store_failures_total', { outcome: 'allowed' })).toBeGreaterThanOrEqual(3);
      expect(gateway.logs.lines().some((line) => line.level === 'warn' && String(line.msg).includes('rate-limit store'))).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  test('when Redis is unreachable and RATE_LIMIT_FAIL_CLOSED=true, then requests are refused with a retryable 503 and no subgraph is called', async () => {
    const gateway = await startExtraGateway(platform, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      RATE_LIMIT_FAIL_CLOSED: 'true',
    });
    try {
      const before = await subgraphCalls(platform);
      const refused = await postGraphQL(gateway.graphqlUrl, PRODUCTS);
      expect(refused.status).toBe(503);
      expect(codes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(refused.body.errors[0].extensions.retryable).toBe(true);
      expect(await subgraphCalls(platform)).toBe(before);
      expect(await readMetric(gateway.url, 'gateway_rate_limit_store_failures_total', { outcome: 'refused' })).toBe(1);
    } finally {
      await gateway.stop();
    }
  });
});

(REDIS_URL ? describe : describe.skip)(`rate limiting shared through Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL not set)'}`, () => {
  let platform: TestPlatform;
  let replica: GatewayProcess | undefined;
  const prefix = `fedshop-test:${randomUUID()}`;
  const shared = () => ({ REDIS_URL: REDIS_URL!, RATE_LIMIT_KEY_PREFIX: prefix, RATE_LIMIT_ANON_PER_MIN: '6' });

  beforeAll(async () => {
    platform = await startTestPlatform({ gatewayEnv: shared() });
    replica = await startGatewayProcess(platform, shared());
  }, 60_000);
  afterAll(async () => {
    await replica?.stop();
    await platform?.stop();
  });

  test('when two gateway processes share Redis, then a client spreading requests over both gets one budget between them', async () => {
    const urls = [`${platform.gatewayUrl}/graphql`, replica!.graphqlUrl];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postGraphQL(urls[i % 2]!, PRODUCTS)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);

    // Each replica alone has seen 3 of the 6: only a shared bucket refuses now, on either.
    const before = await subgraphCalls(platform);
    expectRateLimited(await postGraphQL(urls[0]!, PRODUCTS), 6);
    expectRateLimited(await postGraphQL(urls[1]!, PRODUCTS), 6);
    expect(await subgraphCalls(platform)).toBe(before);
  });
});
