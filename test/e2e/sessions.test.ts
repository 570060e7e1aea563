/**
 * Sessions through the gateway (README, Sessions): the refresh token lives in an HttpOnly,
 * SameSite=Strict cookie scoped to /graphql that only the gateway sets and reads; no response
 * body carries it; it counts only for requests of the gateway's own origin (or a configured
 * one); CORS allows credentials only to configured origins.
 */
import { codes, postGraphQL, send, startExtraGateway, type RawResponse } from '../edge/support/edge-http';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';

const SIGN_UP = 'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token expiresAt user { id email } } }';
const REFRESH = 'mutation Refresh { refreshSession { token expiresAt user { id email tier } } }';
const SIGN_OUT = 'mutation SignOut { signOut }';
const COOKIE = 'fedshop_refresh';

let counter = 0;

describe('sessions through the gateway: the refresh-token cookie', () => {
  let platform: TestPlatform;
  let graphqlUrl: string;
  let ownOrigin: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    graphqlUrl = `${platform.gatewayUrl}/graphql`;
    ownOrigin = new URL(platform.gatewayUrl).origin;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  /** The session cookie a response sets: its value and attributes. */
  function setCookie(response: RawResponse): { value: string; attributes: string[] } | null {
    const header = response.headers.get('set-cookie');
    if (!header) return null;
    const [pair, ...attributes] = header.split(/;\s*/);
    const [name, value] = pair!.split('=');
    expect(name).toBe(COOKIE);
    return { value: value!, attributes };
  }

  async function signUp(origin = ownOrigin) {
    counter += 1;
    const response = await postGraphQL(
      graphqlUrl,
      {
        query: SIGN_UP,
        variables: { input: { email: `session-${counter}-${Date.now()}@example.com`, password: 'correct-horse', name: 'Session' } },
      },
      { origin },
    );
    expect(response.body.errors).toBeUndefined();
    return { response, cookie: setCookie(response)!.value, user: response.body.data.signUp.user as { id: string } };
  }

  const refresh = (cookie: string | null, headers: Record<string, string> = { origin: ownOrigin }) =>
    postGraphQL(graphqlUrl, { query: REFRESH }, { ...(cookie === null ? {} : { cookie: `other=1; ${COOKIE}=${cookie}` }), ...headers });

  test('when a customer signs up, then the refresh token arrives as an HttpOnly, SameSite=Strict cookie for /graphql only, and in no body', async () => {
    const { response, cookie } = await signUp();

    const attributes = setCookie(response)!.attributes;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['Path=/graphql', 'HttpOnly', 'SameSite=Strict']));
    // http://127.0.0.1 is a loopback host: no Secure there (SESSION_COOKIE_SECURE=auto), so development works over http.
    expect(attributes).not.toContain('Secure');
    expect(Number(attributes.find((attribute) => attribute.startsWith('Max-Age='))!.slice(8))).toBeGreaterThan(13 * 24 * 3600);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(JSON.stringify(response.body)).not.toContain(cookie);
    expect(response.body.data.signUp.token).toMatch(/^ey/);
    expect(new Date(response.body.data.signUp.expiresAt).getTime()).toBeGreaterThan(Date.now());
    // Nor does any internal header leak out.
    const internal: string[] = [];
    response.headers.forEach((_value, name) => name.startsWith('x-fedshop') && internal.push(name));
    expect(internal).toEqual([]);
  });

  test('when the page refreshes with the cookie from its own origin, then a new access token comes back and the cookie rotates', async () => {
    const { cookie, user } = await signUp();

    const response = await refresh(cookie);

    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.refreshSession.user).toMatchObject({ id: user.id, tier: 'STANDARD' });
    const rotated = setCookie(response)!.value;
    expect(rotated).not.toBe(cookie);
    expect(JSON.stringify(response.body)).not.toContain(rotated);
    const me = await platform.gql('{ me { id } }', {}, { token: response.body.data.refreshSession.token });
    expect(me.data).toEqual({ me: { id: user.id } });
  });

  test('when an old cookie is replayed after rotation, then UNAUTHENTICATED, the cookie is cleared, and the rotated one is dead too', async () => {
    const { cookie } = await signUp();
    const rotated = setCookie(await refresh(cookie))!.value;

    const replay = await refresh(cookie);

    expect(codes(replay)).toEqual(['UNAUTHENTICATED']);
    expect(setCookie(replay)).toMatchObject({ value: '', attributes: expect.arrayContaining(['Max-Age=0']) });
    expect(codes(await refresh(rotated))).toEqual(['UNAUTHENTICATED']);
  });

  test.each([
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['no Origin (not a browser)', {}],
    ['the Origin "null" (a sandboxed frame)', { origin: 'null' }],
  ])('when a request with the cookie has %s, then the cookie is not used and stays valid', async (_label, headers) => {
    const { cookie } = await signUp();

    const response = await refresh(cookie, headers as Record<string, string>);

    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    // Not used, so not spent: the owner's next refresh works.
    expect((await refresh(cookie)).body.errors).toBeUndefined();
  });

  test('when a client sends the internal refresh-token header itself, then the gateway does not pass it on', async () => {
    const { cookie } = await signUp();

    const response = await refresh(null, { origin: ownOrigin, 'x-fedshop-refresh-token': cookie });

    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect((await refresh(cookie)).body.errors).toBeUndefined();
  });

  test('when the customer signs out, then the cookie is cleared and the session cannot be refreshed', async () => {
    const { cookie } = await signUp();

    const response = await postGraphQL(graphqlUrl, { query: SIGN_OUT }, { origin: ownOrigin, cookie: `${COOKIE}=${cookie}` });

    expect(response.body).toEqual({ data: { signOut: true } });
    expect(setCookie(response)).toMatchObject({
      value: '',
      attributes: expect.arrayContaining(['Max-Age=0', 'HttpOnly', 'Path=/graphql']),
    });
    expect(codes(await refresh(cookie))).toEqual(['UNAUTHENTICATED']);
  });

  test('when a GET or a form-encoded POST carries the cookie, then Apollo CSRF prevention refuses it before anything runs', async () => {
    const { cookie } = await signUp();

    const form = await send(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ownOrigin, cookie: `${COOKIE}=${cookie}` },
      body: `query=${encodeURIComponent(REFRESH)}`,
    });
    const get = await send(`${graphqlUrl}?query=${encodeURIComponent(REFRESH)}`, {
      headers: { origin: ownOrigin, cookie: `${COOKIE}=${cookie}` },
    });

    expect(form.status).toBe(400);
    expect(get.status).toBe(400);
    expect((await refresh(cookie)).body.errors).toBeUndefined();
  });

  describe('with SESSION_COOKIE_SECURE=true and CORS_ORIGINS listing the shop', () => {
    const SHOP = 'https://shop.example';
    let gateway: Awaited<ReturnType<typeof startExtraGateway>>;
    beforeAll(async () => {
      gateway = await startExtraGateway(platform, { SESSION_COOKIE_SECURE: 'true', CORS_ORIGINS: SHOP });
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    test('when the listed origin signs up and refreshes, then the cookie is Secure and credentials are allowed for it', async () => {
      counter += 1;
      const signUpResponse = await postGraphQL(
        gateway.graphqlUrl,
        {
          query: SIGN_UP,
          variables: { input: { email: `secure-${counter}-${Date.now()}@example.com`, password: 'correct-horse', name: 'Secure' } },
        },
        { origin: SHOP },
      );
      const cookie = setCookie(signUpResponse)!;
      expect(cookie.attributes).toContain('Secure');
      expect(signUpResponse.headers.get('access-control-allow-origin')).toBe(SHOP);
      expect(signUpResponse.headers.get('access-control-allow-credentials')).toBe('true');

      const refreshed = await postGraphQL(gateway.graphqlUrl, { query: REFRESH }, { origin: SHOP, cookie: `${COOKIE}=${cookie.value}` });
      expect(refreshed.body.errors).toBeUndefined();
    });

    test('when another origin preflights, then it gets no CORS permission at all', async () => {
      const preflight = await fetch(gateway.graphqlUrl, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    });
  });

  test('when CORS allows any origin (development default), then answers are readable cross-origin but never with credentials', async () => {
    const response = await postGraphQL(
      graphqlUrl,
      { query: '{ products(first: 1) { totalCount } }' },
      { origin: 'https://elsewhere.example' },
    );

    expect(response.headers.get('access-control-allow-origin')).toBe('https://elsewhere.example');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
