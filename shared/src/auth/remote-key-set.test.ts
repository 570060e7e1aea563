import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { freePort } from '../testing/free-port';
import { createRemoteKeySet, KeySetUnavailableError, type KeySetFetcher } from './remote-key-set';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const sign = (key: SigningKey) => new SignJWT({ sub: 'someone' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);

/** Resolves with the token's `sub` when `keys` finds the key that signed it. */
async function verifiedSubject(token: string, keys: JWTVerifyGetKey): Promise<string | undefined> {
  return (await jwtVerify(token, keys, { algorithms: ['ES256'] })).payload.sub;
}

/** A real HTTP server answering every request with `respond` (by default the current key set), counting them. */
interface JwksServer {
  url: string;
  requests: number;
  /** The keys served (by the default answer). */
  keys: JWK[];
  respond: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function startJwksServer(keys: JWK[], port = 0): Promise<JwksServer> {
  const served: JwksServer = {
    url: '',
    requests: 0,
    keys,
    respond: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served.keys })),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req, res) => {
    served.requests++;
    served.respond(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  served.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return served;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

let current: SigningKey;
let next: SigningKey;
let server: JwksServer;
let clockMs: number;
const now = () => clockMs;

beforeAll(async () => {
  [current, next] = await Promise.all([signingKey('current'), signingKey('next')]);
});
beforeEach(async () => {
  clockMs = Date.now();
  server = await startJwksServer([current.jwk]);
});
afterEach(() => server.close());

describe('createRemoteKeySet', () => {
  test('when tokens are verified within the maximum age, then the key set is fetched once for all of them', async () => {
    const keys = createRemoteKeySet({ url: server.url, now });

    const subjects = await Promise.all(
      [sign(current), sign(current), sign(current)].map(async (token) => verifiedSubject(await token, keys)),
    );
    clockMs += 599_000;
    subjects.push(await verifiedSubject(await sign(current), keys));

    expect(subjects).toEqual(['someone', 'someone', 'someone', 'someone']);
    expect(server.requests).toBe(1);
  });

  test('when the key set is older than the maximum age, then it is fetched again and a withdrawn key is refused', async () => {
    const keys = createRemoteKeySet({ url: server.url, maxAgeMs: 60_000, now });
    const token = await sign(current);
    await verifiedSubject(token, keys);
    server.keys = [next.jwk];

    clockMs += 60_000;

    expect(await rejectionOf(verifiedSubject(token, keys))).toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(server.requests).toBe(2);
  });

  test('when a token names a key id the set lacks (the signer rotated), then the set is fetched again at once and the token verifies', async () => {
    const keys = createRemoteKeySet({ url: server.url, now });
    await verifiedSubject(await sign(current), keys);
    // JWT_ADDITIONAL_PUBLIC_KEYS: the users service publishes the next key, then signs with it.
    server.keys = [current.jwk, next.jwk];
    clockMs += 30_000;

    expect(await verifiedSubject(await sign(next), keys)).toBe('someone');
    expect(server.requests).toBe(2);
  });

  test('when unknown key ids keep coming within the cooldown, then they are refused without fetching again', async () => {
    const keys = createRemoteKeySet({ url: server.url, cooldownMs: 30_000, now });
    await verifiedSubject(await sign(current), keys);
    clockMs += 29_000;

    const error = await rejectionOf(verifiedSubject(await sign(next), keys));

    expect(error).toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(server.requests).toBe(1);
  });

  test('when the server is down, then the key set fails with a KeySetUnavailableError naming the URL, and tries again on the next token', async () => {
    const port = await freePort(); // nothing listens there yet
    const url = `http://127.0.0.1:${port}/.well-known/jwks.json`;
    const keys = createRemoteKeySet({ url, now });

    const error = await rejectionOf(verifiedSubject(await sign(current), keys));

    expect(error).toBeInstanceOf(KeySetUnavailableError);
    expect(error.message).toBe(`the key set at ${url} is unreachable (fetch failed)`);
    const late = await startJwksServer([current.jwk], port);
    try {
      expect(await verifiedSubject(await sign(current), keys)).toBe('someone');
    } finally {
      await late.close();
    }
  });

  test('when a fetch fails after the set was served, then the next token fetches again (a failure is not remembered)', async () => {
    const keys = createRemoteKeySet({ url: server.url, maxAgeMs: 60_000, now });
    await verifiedSubject(await sign(current), keys);
    server.respond = (_req, res) => res.writeHead(503).end('starting');
    clockMs += 60_000;
    expect(await rejectionOf(verifiedSubject(await sign(current), keys))).toBeInstanceOf(KeySetUnavailableError);

    server.respond = (_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [current.jwk] }));

    expect(await verifiedSubject(await sign(current), keys)).toBe('someone');
    expect(server.requests).toBe(3);
  });

  test.each([
    ['HTTP 503', (res: ServerResponse) => res.writeHead(503).end('starting'), 'answered HTTP 503'],
    ['a redirect (not followed)', (res: ServerResponse) => res.writeHead(302, { location: '/elsewhere' }).end(), 'answered HTTP 302'],
    ['a body that is not JSON', (res: ServerResponse) => res.writeHead(200).end('<html>'), 'is not JSON'],
    ['JSON that is not a key set', (res: ServerResponse) => res.writeHead(200).end('{"keys":"none"}'), 'is not a JSON Web Key Set'],
  ])('when the server answers %s, then the key set fails with a KeySetUnavailableError saying so', async (_label, answer, reason) => {
    server.respond = (_req, res) => answer(res);
    const keys = createRemoteKeySet({ url: server.url, now });

    const error = await rejectionOf(verifiedSubject(await sign(current), keys));

    expect(error).toBeInstanceOf(KeySetUnavailableError);
    expect(error.message).toBe(`the key set at ${server.url} ${reason}`);
  });

  test('when the server does not answer within the timeout, then the key set fails with a KeySetUnavailableError saying so', async () => {
    server.respond = () => undefined; // holds the request open
    const keys = createRemoteKeySet({ url: server.url, timeoutMs: 100, now });

    const error = await rejectionOf(verifiedSubject(await sign(current), keys));

    expect(error).toBeInstanceOf(KeySetUnavailableError);
    expect(error.message).toBe(`the key set at ${server.url} did not answer within 100 ms`);
  });

  test('when a fetcher is given, then the key set is fetched through it', async () => {
    const calls: { url: string; signal: AbortSignal; headers: Record<string, string> }[] = [];
    const fetcher: KeySetFetcher = async (url, signal, headers) => {
      calls.push({ url: url.href, signal, headers });
      return { status: 200, body: JSON.stringify({ keys: [current.jwk] }) };
    };
    const keys = createRemoteKeySet({ url: 'http://keys.invalid/jwks.json', fetcher, now });

    expect(await verifiedSubject(await sign(current), keys)).toBe('someone');
    expect(calls.map((call) => call.url)).toEqual(['http://keys.invalid/jwks.json']);
    expect(calls[0]!.signal.aborted).toBe(false);
    expect(calls[0]!.headers).toMatchObject({ accept: 'application/json, application/jwk-set+json' });
  });
});
