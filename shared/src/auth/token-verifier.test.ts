import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose';
import { AppError } from '../errors/app-error';
import { freePort } from '../testing/free-port';
import { KeySetUnavailableError } from './remote-key-set';
import { createTokenVerifier, parseBearerToken, type TokenVerifier } from './token-verifier';

const ISSUER = 'fedshop-users';
const AUDIENCE = 'fedshop-api';
const KID = 'test-key-1';
const USER_ID = '0b7d6a4e-1f3c-4a52-9b8e-2d1c0f9e8a71';

interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

let signer: KeyPair;
let stranger: KeyPair;
let jwks: JSONWebKeySet;
let verifier: TokenVerifier;

beforeAll(async () => {
  signer = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('ES256');
  jwks = { keys: [{ ...(await exportJWK(signer.publicKey)), kid: KID, alg: 'ES256', use: 'sig' }] };
  verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token as the users service issues it; `overrides` change or (with undefined) drop claims. */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    sub: USER_ID,
    role: 'CUSTOMER',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: nowSeconds(),
    exp: nowSeconds() + 900,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined));
}

function sign(payload: JWTPayload = claims(), key: CryptoKey = signer.privateKey, kid = KID): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(key);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

const segments = (token: string) => token.split('.') as [string, string, string];
const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('createTokenVerifier', () => {
  test('when a token is valid, then verify resolves to the viewer it names', async () => {
    await expect(verifier.verify(await sign())).resolves.toEqual({ id: USER_ID, role: 'CUSTOMER' });
  });

  test('when a valid token carries the ADMIN role, then the viewer is an admin', async () => {
    await expect(verifier.verify(await sign(claims({ role: 'ADMIN' })))).resolves.toEqual({ id: USER_ID, role: 'ADMIN' });
  });

  test('when the token expired beyond the clock tolerance, then it is refused as UNAUTHENTICATED "expired"', async () => {
    const error = await rejection(verifier.verify(await sign(claims({ iat: nowSeconds() - 960, exp: nowSeconds() - 60 }))));

    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toBe('The access token has expired.');
  });

  test('when the token expired within the configured clock tolerance, then it is still accepted', async () => {
    const tolerant = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, clockToleranceSeconds: 120 });

    await expect(tolerant.verify(await sign(claims({ exp: nowSeconds() - 60 })))).resolves.toMatchObject({ id: USER_ID });
  });

  test.each([
    ['the issuer is another one', { iss: 'evil-issuer' }],
    ['the audience is another API', { aud: 'other-api' }],
    ['the subject is missing', { sub: undefined }],
    ['the role is missing', { role: undefined }],
    ['the role is not one of ours', { role: 'SUPERUSER' }],
    ['the role is not a string', { role: ['ADMIN'] }],
    ['the expiry is missing', { exp: undefined }],
    ['the issued-at is missing', { iat: undefined }],
    ['it is not valid yet', { nbf: nowSeconds() + 3600 }],
  ])('when %s, then the token is refused as UNAUTHENTICATED "invalid"', async (_label, overrides) => {
    const error = await rejection(verifier.verify(await sign(claims(overrides))));

    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toBe('The access token is invalid.');
  });

  test('when the payload is tampered with (CUSTOMER turned ADMIN), then the token is refused', async () => {
    const [header, , signature] = segments(await sign());
    const forged = [header, b64json(claims({ role: 'ADMIN' })), signature].join('.');

    const error = await rejection(verifier.verify(forged));

    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The access token is invalid.' });
  });

  test('when the signature is tampered with, then the token is refused', async () => {
    const [header, payload, signature] = segments(await sign());
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = bytes[10]! ^ 0xff;
    const forged = [header, payload, bytes.toString('base64url')].join('.');

    expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  test('when the signature is stripped, then the token is refused', async () => {
    const [header, payload] = segments(await sign());

    expect((await rejection(verifier.verify(`${header}.${payload}.`))).code).toBe('UNAUTHENTICATED');
  });

  test('when the token is unsigned (alg none), then it is refused', async () => {
    const unsigned = new UnsecuredJWT(claims({ role: 'ADMIN' })).encode();
    expect(JSON.parse(Buffer.from(segments(unsigned)[0], 'base64url').toString())).toMatchObject({ alg: 'none' });

    expect((await rejection(verifier.verify(unsigned))).code).toBe('UNAUTHENTICATED');
  });

  test('when the token header says alg none with our kid, then it is refused', async () => {
    const forged = [b64json({ alg: 'none', kid: KID, typ: 'JWT' }), b64json(claims({ role: 'ADMIN' })), ''].join('.');

    expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  test.each([
    ['the SPKI PEM', async () => new TextEncoder().encode(await exportSPKI(signer.publicKey))],
    ['the public JWK JSON', async () => new TextEncoder().encode(JSON.stringify(jwks.keys[0]))],
  ])('when an HS256 token is signed with %s of the public key (key confusion), then it is refused', async (_label, secret) => {
    const forged = await new SignJWT(claims({ role: 'ADMIN' }))
      .setProtectedHeader({ alg: 'HS256', kid: KID, typ: 'JWT' })
      .sign(await secret());

    expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  test('when a token is signed by another key under our kid, then it is refused', async () => {
    const forged = await sign(claims({ role: 'ADMIN' }), stranger.privateKey, KID);

    expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  test('when a token is signed by another key under an unknown kid, then it is refused', async () => {
    const forged = await sign(claims(), stranger.privateKey, 'someone-elses-key');

    expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  test.each(['', 'not-a-jwt', 'a.b.c', 'eyJ.eyJ.sig'])(
    'when the token is garbage %j, then it is refused as UNAUTHENTICATED',
    async (garbage) => {
      expect((await rejection(verifier.verify(garbage))).code).toBe('UNAUTHENTICATED');
    },
  );

  test('when neither jwks nor jwksUrl is given, then creating the verifier throws', () => {
    expect(() => createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE })).toThrow(/jwks or jwksUrl/);
  });

  describe('with a remote JWKS', () => {
    let server: Server;
    let jwksRequests = 0;
    let jwksStatus = 200;
    afterEach(() => {
      jwksStatus = 200;
    });
    beforeAll(async () => {
      server = createServer((_req, res) => {
        jwksRequests++;
        res.writeHead(jwksStatus, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    test('when the JWKS URL serves our keys, then tokens verify and the key set is fetched once', async () => {
      const { port } = server.address() as AddressInfo;
      const remote = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });

      await expect(remote.verify(await sign())).resolves.toEqual({ id: USER_ID, role: 'CUSTOMER' });
      await expect(remote.verify(await sign(claims({ role: 'ADMIN' })))).resolves.toEqual({ id: USER_ID, role: 'ADMIN' });
      expect(jwksRequests).toBe(1);
    });

    test('when the JWKS URL is unreachable, then verify fails with a retryable SERVICE_UNAVAILABLE, not UNAUTHENTICATED', async () => {
      const port = await freePort(); // nothing listens there
      const remote = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });

      const error = await rejection(remote.verify(await sign()));

      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.cause).toBeInstanceOf(KeySetUnavailableError);
    });

    test('when the JWKS URL answers an error status, then verify fails with a retryable SERVICE_UNAVAILABLE (the token may be fine)', async () => {
      const { port } = server.address() as AddressInfo;
      jwksStatus = 503;
      const remote = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });

      const error = await rejection(remote.verify(await sign()));

      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    });

    test('when a token names a key id the JWKS does not have, then it is refused as UNAUTHENTICATED after one fetch more', async () => {
      const { port } = server.address() as AddressInfo;
      const remote = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });
      const before = jwksRequests;

      const error = await rejection(remote.verify(await sign(claims(), stranger.privateKey, 'unknown-key')));

      expect(error.code).toBe('UNAUTHENTICATED');
      // The first fetch, then (the key id unknown, no fetch in the last 30 s) none more: a fresh set is not fetched again.
      expect(jwksRequests - before).toBe(1);
    });

    test('when a key-set fetcher is given, then the JWKS is fetched through it', async () => {
      const fetched: string[] = [];
      const remote = createTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: 'http://users.invalid/.well-known/jwks.json',
        fetchKeySet: async (url) => {
          fetched.push(url.href);
          return { status: 200, body: JSON.stringify(jwks) };
        },
      });

      await expect(remote.verify(await sign())).resolves.toEqual({ id: USER_ID, role: 'CUSTOMER' });
      expect(fetched).toEqual(['http://users.invalid/.well-known/jwks.json']);
    });
  });
});

describe('the verified-token cache', () => {
  // A hit hands back the very object the first verification produced; a fresh check builds a new one.
  test('when the same token is verified twice, then the second answer comes from the cache', async () => {
    const token = await sign();
    const cached = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });

    const first = await cached.verify(token);

    expect(await cached.verify(token)).toBe(first);
  });

  test('when the cache is turned off (cacheSize 0), then every call verifies afresh', async () => {
    const token = await sign();
    const uncached = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cacheSize: 0 });

    const first = await uncached.verify(token);

    expect(await uncached.verify(token)).not.toBe(first);
    expect(await uncached.verify(token)).toEqual(first);
  });

  test('when a cached token passes its expiry, then it is refused as expired, not served from the cache', async () => {
    let clockMs = Date.now();
    const clocked = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, clockToleranceSeconds: 0, now: () => clockMs });
    const token = await sign(claims({ exp: nowSeconds() + 60 }));
    await clocked.verify(token);

    clockMs += 61_000;

    const error = await rejection(clocked.verify(token));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The access token has expired.' });
  });

  test('when a token was verified longer ago than the key set is kept, then it is verified afresh (a withdrawn key stops counting)', async () => {
    let clockMs = Date.now();
    const clocked = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cacheMaxAgeMs: 60_000, now: () => clockMs });
    const token = await sign(claims({ exp: nowSeconds() + 3_600 }));
    const first = await clocked.verify(token);
    clockMs += 59_000;
    expect(await clocked.verify(token)).toBe(first);

    clockMs += 2_000;

    const again = await clocked.verify(token);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  test('when a refused token is presented again, then it is refused again (failures are never cached)', async () => {
    const forged = await sign(claims({ role: 'ADMIN' }), stranger.privateKey, KID);
    const cached = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });

    expect((await rejection(cached.verify(forged))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(cached.verify(forged))).code).toBe('UNAUTHENTICATED');
  });

  test('when the cache is full, then the oldest token makes room and is verified afresh next time', async () => {
    const [older, newer] = [await sign(), await sign(claims({ role: 'ADMIN' }))];
    const tiny = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cacheSize: 1 });
    const olderFirst = await tiny.verify(older);
    const newerFirst = await tiny.verify(newer);

    expect(await tiny.verify(newer)).toBe(newerFirst);
    expect(await tiny.verify(older)).not.toBe(olderFirst);
  });
});

describe('parseBearerToken', () => {
  test.each([undefined, null, ''])('when the header is %j, then the request is anonymous (null)', (header) => {
    expect(parseBearerToken(header)).toBeNull();
  });

  test.each([
    ['Bearer x', 'x'],
    ['Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln'],
    ['  Bearer abc-_.~+/==  ', 'abc-_.~+/=='],
  ])('when the header is %j, then the token is returned', (header, token) => {
    expect(parseBearerToken(header)).toBe(token);
  });

  test.each([
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer ',
    'Bearer  x',
    'Bearer a b',
    'Bearer x,y',
    'Bearer =abc',
    'Bearer\tx',
    'Token x',
    'x',
    '   ',
  ])('when the header is %j, then it is refused as UNAUTHENTICATED (not treated as anonymous)', (header) => {
    let error: unknown;
    try {
      parseBearerToken(header);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The Authorization header must be "Bearer <token>".' });
  });
});
