import { generateKeyPairSync } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  importPKCS8,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
} from 'jose';
import { errorCodes } from '../../../test/support/graphql-client';
import { signInAdmin, signUpCustomer, startUsersUnderTest, type UsersUnderTest } from './support/start-users-under-test';

const ISSUER = 'fedshop-users';
const AUDIENCE = 'fedshop-api';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('users service: access tokens and the JWKS', () => {
  let users: UsersUnderTest;
  /** The service's own signing key, given through JWT_PRIVATE_KEY, so the test can forge near-valid tokens. */
  let serviceKey: CryptoKey;
  let jwks: JSONWebKeySet;
  let kid: string;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    serviceKey = await importPKCS8(pem, 'ES256');
    users = await startUsersUnderTest({ env: { JWT_PRIVATE_KEY: pem } });
    jwks = (await (await fetch(`${users.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    kid = jwks.keys[0]!.kid!;
  });
  afterAll(async () => {
    await users?.stop();
  });

  /** A token like the service's own, with any claim or header overridden. */
  function forge(key: CryptoKey, claims: Record<string, unknown>, options: { kid?: string; iat?: number; exp?: number } = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: 'ADMIN', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? kid, typ: 'JWT' })
      .setSubject(String(claims.sub ?? '00000000-0000-7000-8000-000000000000'))
      .setIssuer(String(claims.iss ?? ISSUER))
      .setAudience(String(claims.aud ?? AUDIENCE))
      .setIssuedAt(options.iat ?? now)
      .setExpirationTime(options.exp ?? now + 900)
      .sign(key);
  }

  test('when the JWKS is fetched, then it holds one public ES256 key and no private part', async () => {
    const response = await fetch(`${users.url}/.well-known/jwks.json`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    const body = JSON.parse(text) as JSONWebKeySet;
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
    expect(Object.keys(body.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(text).not.toMatch(/"d"\s*:/);
  });

  test('when a customer signs up, then the JWKS verifies its token with the expected claims', async () => {
    const customer = await signUpCustomer(users);

    const { payload, protectedHeader } = await jwtVerify(customer.token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
    });

    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid });
    expect(payload).toMatchObject({ sub: customer.user.id, role: 'CUSTOMER', iss: ISSUER, aud: AUDIENCE });
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
  });

  test('when the admin signs in, then its token carries the ADMIN role', async () => {
    const admin = await signInAdmin(users);

    const { payload } = await jwtVerify(admin.token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: AUDIENCE });

    expect(payload).toMatchObject({ sub: admin.user.id, role: 'ADMIN' });
    expect(decodeProtectedHeader(admin.token).kid).toBe(kid);
  });

  test('when a token forged here with the service key is sent, then the service accepts it (the forgery below is sound)', async () => {
    const admin = await signInAdmin(users);
    const token = await forge(serviceKey, { sub: admin.user.id, role: 'ADMIN' });

    const response = await users.gql('{ me { id role } }', {}, { token });

    expect(response.status).toBe(200);
    expect(response.data!.me).toEqual({ id: admin.user.id, role: 'ADMIN' });
  });

  const rejected: { label: string; token: () => Promise<string> }[] = [
    {
      label: 'signed with another key under the same kid',
      token: async () => forge((await generateKeyPair('ES256')).privateKey, {}),
    },
    {
      label: 'signed with another key under another kid',
      token: async () => forge((await generateKeyPair('ES256')).privateKey, {}, { kid: 'someone-elses-key' }),
    },
    {
      label: 'expired (signed with the service key)',
      token: () => {
        const now = Math.floor(Date.now() / 1000);
        return forge(serviceKey, {}, { iat: now - 3600, exp: now - 60 });
      },
    },
    {
      label: 'with alg none',
      token: async () => {
        const now = Math.floor(Date.now() / 1000);
        const claims = { sub: '00000000-0000-7000-8000-000000000000', role: 'ADMIN', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 900 };
        return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      },
    },
    {
      label: 'for another audience (signed with the service key)',
      token: () => forge(serviceKey, { aud: 'someone-else' }),
    },
    {
      label: 'from another issuer (signed with the service key)',
      token: () => forge(serviceKey, { iss: 'evil-issuer' }),
    },
    {
      label: 'with an unknown role (signed with the service key)',
      token: () => forge(serviceKey, { role: 'ROOT' }),
    },
    { label: 'that is not a JWT at all', token: async () => 'not.a.jwt' },
  ];
  test.each(rejected)('when a token $label is sent, then HTTP 401 UNAUTHENTICATED', async ({ token }) => {
    const response = await users.gql('{ me { id } }', {}, { token: await token() });

    expect(response.status).toBe(401);
    expect(response.data ?? null).toBeNull();
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  test.each(['Basic dXNlcjpwYXNzd29yZA==', 'Bearer', 'Bearer two words', 'Token abc.def.ghi', 'Bearer <script>'])(
    'when the Authorization header is garbage (%s), then HTTP 401 UNAUTHENTICATED, not anonymous',
    async (authorization) => {
      const response = await users.gql('{ me { id } }', {}, { headers: { authorization } });

      expect(response.status).toBe(401);
      expect(response.data ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    },
  );
});

describe('users service: signing-key rotation (JWT_ADDITIONAL_PUBLIC_KEYS)', () => {
  const services: UsersUnderTest[] = [];
  afterAll(async () => {
    // The last started first: the first owns the shared database and drops it.
    for (const service of services.reverse()) await service.stop();
  });

  function keyPair() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }

  test("when two replicas sign with different keys mid-rotation, each listing the other, then both publish both keys and accept each other's tokens", async () => {
    const [current, next] = [keyPair(), keyPair()];
    // Step 2 of a rotation, half done: one replica signs with the new key, one still with the old.
    const before = await startUsersUnderTest({ env: { JWT_PRIVATE_KEY: current.privatePem, JWT_ADDITIONAL_PUBLIC_KEYS: next.publicPem } });
    services.push(before);
    // "\n" escapes, as a single-line variable carries a PEM; the signing key listed too is published once.
    const escaped = `${current.publicPem}${next.publicPem}`.replace(/\n/g, '\\n');
    const after = await startUsersUnderTest({
      database: before.database,
      env: { JWT_PRIVATE_KEY: next.privatePem, JWT_ADDITIONAL_PUBLIC_KEYS: escaped },
    });
    services.push(after);

    const jwksOf = async (service: UsersUnderTest) =>
      ((await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet).keys.map((key) => key.kid);
    const [beforeKids, afterKids] = [await jwksOf(before), await jwksOf(after)];
    expect(beforeKids).toHaveLength(2);
    expect(afterKids).toEqual([beforeKids[1], beforeKids[0]]);

    const customer = await signUpCustomer(after);
    expect(decodeProtectedHeader(customer.token).kid).toBe(afterKids[0]);
    const signedBefore = (
      await before.gql('mutation($input: SignInInput!) { signIn(input: $input) { token } }', {
        input: { email: customer.user.email, password: customer.password },
      })
    ).data!.signIn.token as string;
    expect(decodeProtectedHeader(signedBefore).kid).toBe(beforeKids[0]);
    for (const service of [before, after]) {
      for (const token of [customer.token, signedBefore]) {
        expect((await service.gql('{ me { id } }', {}, { token })).data).toEqual({ me: { id: customer.user.id } });
      }
    }
  });

  test.each([
    ['a private key', () => keyPair().privatePem, 'expected one or more PEM "BEGIN PUBLIC KEY" blocks and nothing else'],
    ['garbage', () => 'not a key', 'expected one or more PEM "BEGIN PUBLIC KEY" blocks and nothing else'],
    [
      'an RSA key',
      () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'key 1 is not a P-256 public key',
    ],
  ])('when JWT_ADDITIONAL_PUBLIC_KEYS holds %s, then the service does not start and names the variable', async (_label, value, message) => {
    await expect(startUsersUnderTest({ env: { JWT_ADDITIONAL_PUBLIC_KEYS: value() } })).rejects.toThrow(
      `JWT_ADDITIONAL_PUBLIC_KEYS: ${message}`,
    );
  });
});
