import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetric, startTestPlatform, type TestPlatform } from '../../test/support/test-platform';

const REPO_SUPERGRAPH = path.resolve(__dirname, '../../supergraph.graphql');
const DESCRIPTION_QUERY = '{ __type(name: "Query") { fields { name description } } }';

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('supergraph reloading', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-supergraph-'));
  const file = path.join(dir, 'supergraph.graphql');
  let platform: TestPlatform;

  beforeAll(async () => {
    copyFileSync(REPO_SUPERGRAPH, file);
    platform = await startTestPlatform({ gatewayEnv: { SUPERGRAPH_PATH: file, SUPERGRAPH_POLL_MS: '50' } });
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const productsDescription = async () => {
    const response = await platform.gql(DESCRIPTION_QUERY);
    return response.data!.__type.fields.find((field: { name: string }) => field.name === 'products').description as string;
  };

  test('when supergraph.graphql changes, then the gateway serves the new version without a restart', async () => {
    const before = await productsDescription();
    const original = readFileSync(file, 'utf8');
    const marker = 'The catalog, as of the reload test.';
    expect(original).toContain(before);
    writeFileSync(file, original.replace(before, marker));
    await until(async () => ((await productsDescription()) === marker ? true : undefined), 'the new supergraph');
    const products = await platform.gql('{ products(first: 1) { totalCount } }');
    expect(products.errors).toEqual([]);
  });

  test('when the new file does not load, then the previous supergraph keeps serving', async () => {
    const served = await productsDescription();
    const rejectedBefore = await readMetric(platform.gatewayUrl, 'gateway_supergraph_reloads_total', { result: 'rejected' });
    writeFileSync(file, 'this is not a supergraph');
    await until(
      async () =>
        (await readMetric(platform.gatewayUrl, 'gateway_supergraph_reloads_total', { result: 'rejected' })) > rejectedBefore
          ? true
          : undefined,
      'the rejection',
    );
    // Looks like a supergraph (it names its subgraphs) but the gateway cannot build a schema from it.
    writeFileSync(file, `${readFileSync(REPO_SUPERGRAPH, 'utf8')}\ntype Broken {\n`);
    await until(
      async () =>
        (await readMetric(platform.gatewayUrl, 'gateway_supergraph_reloads_total', { result: 'rejected' })) > rejectedBefore + 1
          ? true
          : undefined,
      'the second rejection',
    );
    expect(await productsDescription()).toBe(served);
    const products = await platform.gql('{ products(first: 1) { totalCount } }');
    expect(products.errors).toEqual([]);
    expect((await fetch(`${platform.gatewayUrl}/readyz`)).status).toBe(200);
  });
});
