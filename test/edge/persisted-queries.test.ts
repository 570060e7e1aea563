import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sha256Hex, type PersistedQueryManifest } from '../../gateway/src/edge/persisted-queries';
import { buildManifest, MANIFEST_PATH, serializeManifest } from '../../scripts/generate-persisted-queries';
import { freePort } from '@fedshop/shared/testing';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';
import { codes, postGraphQL, send, startExtraGateway, subgraphCalls } from './support/edge-http';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.info('REDIS_URL is not set: the shared-Redis APQ test is skipped (CI sets it).');

const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

describe('persisted queries through the gateway', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  describe('automatic persisted queries (the default, PERSISTED_QUERIES=apq)', () => {
    test('when a client sends a hash first, then PERSISTED_QUERY_NOT_FOUND; with the query it registers; then the hash alone runs it', async () => {
      const graphqlUrl = `${platform.gatewayUrl}/graphql`;
      const query = '{ products(first: 2) { edges { node { sku } } } }';
      const hash = sha256Hex(query);

      const unknown = await postGraphQL(graphqlUrl, { extensions: persisted(hash) });
      expect(unknown.status).toBe(200);
      expect(codes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

      const registered = await postGraphQL(graphqlUrl, { query, extensions: persisted(hash) });
      expect(registered.body.errors).toBeUndefined();
      expect(registered.body.data.products.edges).toHaveLength(2);

      const byHash = await postGraphQL(graphqlUrl, { extensions: persisted(hash) });
      expect(byHash.body).toEqual(registered.body);
      // Cacheable by CDNs: a GET with the hash alone.
      const get = await send(`${graphqlUrl}?extensions=${encodeURIComponent(JSON.stringify(persisted(hash)))}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(get.body).toEqual(registered.body);
    });

    test('when the hash does not match the query, then 400 and nothing is registered', async () => {
      const graphqlUrl = `${platform.gatewayUrl}/graphql`;
      const hash = sha256Hex('{ me { id } }');

      const mismatched = await postGraphQL(graphqlUrl, { query: '{ users(first: 100) { totalCount } }', extensions: persisted(hash) });
      expect(mismatched.status).toBe(400);
      expect(mismatched.body.errors).toEqual([{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }]);
      expect(codes(await postGraphQL(graphqlUrl, { extensions: persisted(hash) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    });

    test('when a registered operation is over a limit with new variables, then it is still refused', async () => {
      const graphqlUrl = `${platform.gatewayUrl}/graphql`;
      const query = 'query Deep($first: Int) { me { orders(first: $first) { edges { node { items { product { sku } } } } } } }';
      const hash = sha256Hex(query);
      expect((await postGraphQL(graphqlUrl, { query, variables: { first: 5 }, extensions: persisted(hash) })).status).toBe(200);

      const costly = await postGraphQL(graphqlUrl, { variables: { first: 1_000 }, extensions: persisted(hash) });
      expect(codes(costly)).toEqual(['OPERATION_TOO_COSTLY']);
    });
  });

  describe('safelist (PERSISTED_QUERIES=safelist)', () => {
    let gateway: Awaited<ReturnType<typeof startExtraGateway>>;
    const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as PersistedQueryManifest;
    const operation = (name: string) => manifest.operations.find((candidate) => candidate.name === name)!;
    beforeAll(async () => {
      gateway = await startExtraGateway(platform, { PERSISTED_QUERIES: 'safelist' });
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    test('when a client sends a listed operation id, then it runs', async () => {
      const response = await postGraphQL(gateway.graphqlUrl, { variables: { first: 3 }, extensions: persisted(operation('Products').id) });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.products.edges).toHaveLength(3);
    });

    test('when a client sends the exact text of a listed operation, then it runs too', async () => {
      const response = await postGraphQL(gateway.graphqlUrl, { query: operation('Product').body, variables: { sku: 'KB-001' } });
      expect(response.body.data.product.sku).toBe('KB-001');
    });

    test('when a client sends any other operation, then 400 PERSISTED_QUERY_NOT_IN_LIST and no subgraph is called', async () => {
      const before = await subgraphCalls(platform);
      for (const body of [
        { query: '{ products(first: 100) { edges { node { sku stock } } } }' },
        { query: '{ __schema { types { name } } }' },
        { query: '{ users { totalCount } }', extensions: persisted(sha256Hex('{ users { totalCount } }')) },
      ]) {
        const refused = await postGraphQL(gateway.graphqlUrl, body);
        expect(refused.status).toBe(400);
        expect(codes(refused)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
      }
      expect(await subgraphCalls(platform)).toBe(before);
    });

    test('when a client sends an unknown id, then PERSISTED_QUERY_NOT_FOUND, and it cannot register it', async () => {
      const query = '{ products(first: 1) { totalCount } }';
      expect(codes(await postGraphQL(gateway.graphqlUrl, { extensions: persisted(sha256Hex(query)) }))).toEqual([
        'PERSISTED_QUERY_NOT_FOUND',
      ]);
      expect(codes(await postGraphQL(gateway.graphqlUrl, { query, extensions: persisted(sha256Hex(query)) }))).toEqual([
        'PERSISTED_QUERY_NOT_IN_LIST',
      ]);
      expect(codes(await postGraphQL(gateway.graphqlUrl, { extensions: persisted(sha256Hex(query)) }))).toEqual([
        'PERSISTED_QUERY_NOT_FOUND',
      ]);
    });
  });

  test('when the gateway starts with PERSISTED_QUERIES=off, then persisted-query requests get PERSISTED_QUERY_NOT_SUPPORTED', async () => {
    const gateway = await startExtraGateway(platform, { PERSISTED_QUERIES: 'off' });
    try {
      expect(codes(await postGraphQL(gateway.graphqlUrl, { extensions: persisted(sha256Hex('{ me { id } }')) }))).toEqual([
        'PERSISTED_QUERY_NOT_SUPPORTED',
      ]);
    } finally {
      await gateway.stop();
    }
  });
});

describe('the persisted-query manifest', () => {
  test("when the storefront's operations are compiled again, then the committed manifest is the same (npm run persisted-queries)", async () => {
    expect(readFileSync(MANIFEST_PATH, 'utf8')).toBe(serializeManifest(await buildManifest()));
  });

  test("when the manifest is read, then it is in Apollo's format, each id the SHA-256 of its body", async () => {
    const manifest = await buildManifest();
    expect(manifest).toMatchObject({ format: 'apollo-persisted-query-manifest', version: 1 });
    expect(manifest.operations.length).toBeGreaterThanOrEqual(10);
    for (const operation of manifest.operations) {
      expect(operation.id).toBe(sha256Hex(operation.body));
      expect(['query', 'mutation', 'subscription']).toContain(operation.type);
    }
  });
});

(REDIS_URL ? describe : describe.skip)(
  `automatic persisted queries shared through Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL not set)'}`,
  () => {
    let platform: TestPlatform;
    const shared = { REDIS_URL: REDIS_URL!, PERSISTED_QUERIES_KEY_PREFIX: `fedshop-test:apq:${randomUUID()}` };
    beforeAll(async () => {
      platform = await startTestPlatform({ gatewayEnv: shared });
    });
    afterAll(async () => {
      await platform?.stop();
    });

    test('when a client registers an operation on one replica, then another replica runs it by hash alone; a replica without Redis does not know it', async () => {
      const replica = await startExtraGateway(platform, shared);
      const isolated = await startExtraGateway(platform, {});
      try {
        const query = `{ products(first: 1) { edges { node { sku } } } } # ${randomUUID()}`;
        const hash = sha256Hex(query);
        const registered = await postGraphQL(`${platform.gatewayUrl}/graphql`, { query, extensions: persisted(hash) });
        expect(registered.body.errors).toBeUndefined();

        const elsewhere = await postGraphQL(replica.graphqlUrl, { extensions: persisted(hash) });
        expect(elsewhere.body).toEqual(registered.body);
        expect(codes(await postGraphQL(isolated.graphqlUrl, { extensions: persisted(hash) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      } finally {
        await Promise.all([replica.stop(), isolated.stop()]);
      }
    });

    test('when Redis cannot be reached, then a hash alone is PERSISTED_QUERY_NOT_FOUND and the text still runs', async () => {
      const unreachable = await startExtraGateway(platform, { ...shared, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      try {
        const query = `{ products(first: 1) { totalCount } } # ${randomUUID()}`;
        const hash = sha256Hex(query);
        expect(codes(await postGraphQL(unreachable.graphqlUrl, { extensions: persisted(hash) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
        const withText = await postGraphQL(unreachable.graphqlUrl, { query, extensions: persisted(hash) });
        expect(withText.status).toBe(200);
        expect(withText.body.data.products.totalCount).toBeGreaterThan(0);
      } finally {
        await unreachable.stop();
      }
    });
  },
);
