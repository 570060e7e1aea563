/**
 * Contract: `npm run compose -- --check` is a working staleness gate: it passes on the
 * committed tree and fails when a subgraph schema changed without recomposing.
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeFromRoverConfig } from '../../scripts/compose';
import { REPO_ROOT } from '../../scripts/lib/subgraph-databases';
import { runProcess, tempDir } from './support/run-process';

/** The files scripts/compose.ts reads, copied into `root` at the same relative paths. */
const COMPOSE_INPUTS = [
  'rover.yaml',
  'supergraph.graphql',
  'subgraphs/users/schema.graphql',
  'subgraphs/orders/schema.graphql',
  'scripts/compose.ts',
  'scripts/lib/subgraph-databases.ts',
];

function mirrorComposeInputs(root: string): void {
  for (const file of COMPOSE_INPUTS) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    cpSync(path.join(REPO_ROOT, file), path.join(root, file));
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
}

describe('npm run compose -- --check', () => {
  test('when the committed supergraph matches the subgraphs, then the check exits 0', async () => {
    const result = await runProcess('npm', ['run', '--silent', 'compose', '--', '--check'], { cwd: REPO_ROOT });

    expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toContain('supergraph.graphql is up to date');
  });

  test('when a subgraph schema changes without recomposing, then composing differs and the check exits non-zero', async () => {
    const temp = tempDir('compose-check');
    try {
      mirrorComposeInputs(temp.dir);
      const usersSchema = path.join(temp.dir, 'subgraphs/users/schema.graphql');
      const original = readFileSync(usersSchema, 'utf8');
      const changed = original.replace('The account works normally.', 'The account works normally, edited.');
      expect(changed).not.toBe(original);
      writeFileSync(usersSchema, changed);

      const outcome = composeFromRoverConfig(path.join(temp.dir, 'rover.yaml'));
      expect(outcome.errors).toEqual([]);
      expect(outcome.supergraphSdl).toContain('The account works normally, edited.');
      expect(outcome.supergraphSdl).not.toBe(readFileSync(path.join(temp.dir, 'supergraph.graphql'), 'utf8'));

      // The real script, run in the mirror (its REPO_ROOT is derived from its own location).
      const result = await runProcess(process.execPath, ['--import', 'tsx', 'scripts/compose.ts', '--check'], { cwd: temp.dir });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('supergraph.graphql is stale');
    } finally {
      temp.remove();
    }
  });
});
