import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createTokenVerifier } from '@fedshop/shared/auth';
import { freePort } from '@fedshop/shared/testing';
import { createKeySetFetcher } from './key-set-fetcher';
import { createSubgraphAgent } from './subgraph-request';
import type { Agent } from './undici-core';

let agent: Agent;
let server: Server;
let baseUrl: string;
let answer: { status: number; body: string };
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  agent = createSubgraphAgent();
  seen.length = 0;
  answer = { status: 200, body: '{"keys":[]}' };
});
afterEach(() => agent.close());

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('createKeySetFetcher', () => {
  test('when the JWKS is fetched, then it is a GET of its path and query through the pool with the headers given, answering the status and the body', async () => {
    answer = { status: 503, body: '{"starting":true}' };

    const response = await createKeySetFetcher(agent)(new URL(`${baseUrl}/.well-known/jwks.json?v=2`), new AbortController().signal, {
      accept: 'application/json, application/jwk-set+json',
      traceparent: TRACEPARENT,
    });

    expect(response).toEqual({ status: 503, body: '{"starting":true}' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/.well-known/jwks.json?v=2');
    expect(seen[0]!.headers.accept).toBe('application/json, application/jwk-set+json');
    expect(seen[0]!.headers.traceparent).toBe(TRACEPARENT);
  });

  test('when nothing listens at the URL, then the fetch rejects', async () => {
    const url = new URL(`http://127.0.0.1:${await freePort()}/.well-known/jwks.json`);

    await expect(createKeySetFetcher(agent)(url, new AbortController().signal, {})).rejects.toThrow(/ECONNREFUSED/);
  });

  test('when the signal aborts, then the fetch rejects', async () => {
    const deadline = new AbortController();
    deadline.abort(new Error('deadline'));

    await expect(createKeySetFetcher(agent)(new URL(`${baseUrl}/.well-known/jwks.json`), deadline.signal, {})).rejects.toThrow('deadline');
  });

  test('when the gateway’s token verifier uses it, then a token signed with a published key verifies', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    answer = { status: 200, body: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }) };
    const verifier = createTokenVerifier({
      issuer: 'fedshop-users',
      audience: 'fedshop-api',
      jwksUrl: `${baseUrl}/.well-known/jwks.json`,
      fetchKeySet: createKeySetFetcher(agent),
    });
    const token = await new SignJWT({ sub: 'user-1', role: 'CUSTOMER' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('fedshop-users')
      .setAudience('fedshop-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    await expect(verifier.verify(token)).resolves.toEqual({ id: 'user-1', role: 'CUSTOMER' });
    expect(seen.map((request) => request.path)).toEqual(['/.well-known/jwks.json']);
  });
});
