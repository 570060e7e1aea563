/**
 * Delivery: contracts are judged against the last commit of main before a change lands.
 * - gRPC: `buf breaking` (FILE rules, proto/buf.yaml) against main's proto/, read from the local
 *   .git (offline). `buf lint` and the composition check run in test/contract.
 * - GraphQL: each subgraph's schema.graphql against its version on main, with
 *   @graphql-inspector/core; a BREAKING change fails unless graphql-breaking-changes.allow lists it.
 * The base is FEDSHOP_BASE_REF, else `main`, else `origin/main` (support/contract-base.ts).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../contract/support/run-process';
import {
  ALLOW_FILE,
  BASE_REF_VARIABLE,
  breakingChanges,
  fileAtCommit,
  readAllowedBreakingChanges,
  resolveBaseRef,
  unapprovedBreakingChanges,
} from './support/contract-base';
import { minimalEnv, runIsolated } from './support/process';
import { REPO_ROOT } from './support/services';

const BUF = require.resolve('@bufbuild/buf/bin/buf');
const base = resolveBaseRef(REPO_ROOT);
if (!base) {
  console.warn(`contract checks against main skipped: no git history here (set ${BASE_REF_VARIABLE}, or run from a clone that has main)`);
}
const withBase = base ? test : test.skip;

function bufBreaking(cwd: string) {
  return runIsolated(
    process.execPath,
    [BUF, 'breaking', 'proto', '--against', `${path.join(REPO_ROOT, '.git')}#ref=${base!.sha},subdir=proto`, '--error-format', 'json'],
    { cwd, env: minimalEnv(), timeoutMs: 60_000 },
  );
}

describe('gRPC contracts: buf breaking against main', () => {
  withBase('when proto/ is compared with main’s, then nothing breaks', async () => {
    const result = await bufBreaking(REPO_ROOT);

    expect({ code: result.code, findings: result.stdout.trim(), stderr: result.stderr.trim() }).toEqual({
      code: 0,
      findings: '',
      stderr: '',
    });
  });

  withBase('when a field is renumbered in a copy of proto/, then buf breaking fails and names the rule', async () => {
    const temp = tempDir('buf-breaking');
    try {
      cpSync(path.join(REPO_ROOT, 'proto'), path.join(temp.dir, 'proto'), { recursive: true });
      const file = path.join(temp.dir, 'proto/user/v1/user.proto');
      const original = readFileSync(file, 'utf8');
      const changed = original.replace('  Role role = 3;', '  Role role = 4;');
      expect(changed).not.toBe(original);
      writeFileSync(file, changed);

      const result = await bufBreaking(temp.dir);

      expect(result.code).not.toBe(0);
      const rules = result.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { type: string }).type);
      expect(rules).toEqual(expect.arrayContaining(['FIELD_NO_DELETE']));
    } finally {
      temp.remove();
    }
  });
});

describe('GraphQL contracts: subgraph SDL against main', () => {
  const allowed = readAllowedBreakingChanges(REPO_ROOT);

  withBase.each(['users', 'orders'])(
    'when %s/schema.graphql is compared with main’s, then every breaking change is marked intended',
    async (subgraph) => {
      const file = `subgraphs/${subgraph}/schema.graphql`;
      const before = fileAtCommit(REPO_ROOT, base!.sha, file);
      const after = readFileSync(path.join(REPO_ROOT, file), 'utf8');

      const unapproved = await unapprovedBreakingChanges(subgraph, before, after, allowed);

      // To ship one on purpose, add the printed line to graphql-breaking-changes.allow.
      expect({ against: base!.ref, unapproved }).toEqual({ against: base!.ref, unapproved: [] });
    },
  );

  test('when a field changes type and an enum value disappears, then both are breaking; added types and descriptions are not', async () => {
    const sdl = readFileSync(path.join(REPO_ROOT, 'subgraphs/users/schema.graphql'), 'utf8');
    const changed = `${sdl.replace(/^(\s*)name: String!$/m, '$1name: Int!').replace('  ACTIVE\n', '  ENABLED\n')}\n"""New."""\ntype Extra {\n  """A field."""\n  a: Int\n}\n`;
    expect(changed).not.toBe(sdl);

    expect((await breakingChanges(sdl, changed)).sort()).toEqual([
      "Enum value 'ACTIVE' was removed from enum 'UserStatus'",
      "Field 'User.name' changed type from 'String!' to 'Int!'",
    ]);
    expect(await breakingChanges(sdl, sdl)).toEqual([]);
  });

  test('when a breaking change is listed in the allow file, then it passes, and only that one', async () => {
    const sdl = readFileSync(path.join(REPO_ROOT, 'subgraphs/users/schema.graphql'), 'utf8');
    const changed = sdl.replace(/^(\s*)name: String!$/m, '$1name: Int!').replace('  ACTIVE\n', '  ENABLED\n');
    const temp = tempDir('graphql-allow');
    try {
      writeFileSync(
        path.join(temp.dir, ALLOW_FILE),
        "# renamed on purpose\n\nusers: Enum value 'ACTIVE' was removed from enum 'UserStatus'\n",
      );

      const unapproved = await unapprovedBreakingChanges('users', sdl, changed, readAllowedBreakingChanges(temp.dir));

      expect(unapproved).toEqual(["users: Field 'User.name' changed type from 'String!' to 'Int!'"]);
      // The same entry does not cover another subgraph.
      expect(await unapprovedBreakingChanges('orders', sdl, changed, readAllowedBreakingChanges(temp.dir))).toHaveLength(2);
    } finally {
      temp.remove();
    }
  });

  test('when a schema did not exist at the base, then it has nothing to break', async () => {
    expect(await unapprovedBreakingChanges('new', undefined, 'type Query { a: Int }', new Set())).toEqual([]);
  });

  test('when FEDSHOP_BASE_REF names a ref, then that ref is the base; an unknown one finds none', () => {
    const head = resolveBaseRef(REPO_ROOT, { [BASE_REF_VARIABLE]: 'HEAD' });
    if (base) expect(head?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(resolveBaseRef(REPO_ROOT, { [BASE_REF_VARIABLE]: 'no-such-branch-anywhere' })).toBeUndefined();
  });
});
