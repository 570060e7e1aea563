/**
 * Contract: the storefront's generated operation types (clients/web/src/graphql/generated) are
 * exactly what GraphQL Code Generator makes of the app's operations and the committed
 * supergraph. Regenerated into a temporary folder (the real `npm run codegen` script) and
 * compared file by file: a schema change (npm run compose) or an edited operation without
 * `npm run codegen -w clients/web` fails here.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/subgraph-databases';
import { runProcess, tempDir } from './support/run-process';

const WEB_ROOT = path.join(REPO_ROOT, 'clients', 'web');
const COMMITTED = path.join(WEB_ROOT, 'src', 'graphql', 'generated');

/** Runs the app's codegen into `out`, from `supergraph` (default: the committed one). */
async function regenerate(out: string, supergraph?: string): Promise<Map<string, string>> {
  const args = ['--import', 'tsx', 'codegen/run-codegen.ts', '--out', out, ...(supergraph ? ['--supergraph', supergraph] : [])];
  const result = await runProcess(process.execPath, args, { cwd: WEB_ROOT });
  if (result.code !== 0) throw new Error(`codegen failed:\n${result.stdout}\n${result.stderr}`);
  return new Map(readdirSync(out).map((file) => [file, readFileSync(path.join(out, file), 'utf8')]));
}

describe('storefront: generated operation types', () => {
  test('when the app operations are typed again from supergraph.graphql, then every generated file equals the committed one', async () => {
    const temp = tempDir('web-codegen');
    try {
      const files = await regenerate(temp.dir);

      expect([...files.keys()].sort()).toEqual(readdirSync(COMMITTED).sort());
      for (const [file, content] of files) {
        // To fix a difference: npm run codegen -w clients/web, and commit the result.
        expect({ file, upToDate: readFileSync(path.join(COMMITTED, file), 'utf8') === content }).toEqual({ file, upToDate: true });
      }
    } finally {
      temp.remove();
    }
  });

  test('when the supergraph changes a description the app reads, then the generated types differ (the comparison can fail)', async () => {
    const temp = tempDir('web-codegen-drift');
    try {
      const supergraph = readFileSync(path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8');
      const changed = supergraph.replace('Below 100000 cents of lifetime spend.', 'Below 1000 dollars of lifetime spend.');
      expect(changed).not.toBe(supergraph);
      writeFileSync(path.join(temp.dir, 'supergraph.graphql'), changed);

      const files = await regenerate(path.join(temp.dir, 'out'), path.join(temp.dir, 'supergraph.graphql'));

      expect(files.get('graphql.ts')).toContain('Below 1000 dollars of lifetime spend.');
      expect(files.get('graphql.ts')).not.toBe(readFileSync(path.join(COMMITTED, 'graphql.ts'), 'utf8'));
    } finally {
      temp.remove();
    }
  });
});
