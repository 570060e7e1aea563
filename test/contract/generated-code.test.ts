/**
 * Contract: committed generated code is exactly what its one command produces from the
 * committed sources (STYLE.md 9), so nobody hand-edits it and nobody forgets to regenerate.
 * Each generator runs, unchanged, in a temp mirror of the repo layout: the relative output
 * paths in buf.gen.yaml and schema.prisma then land in the temp folder, never in the repo.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, SUBGRAPH_DATABASES, type SubgraphName } from '../../scripts/lib/subgraph-databases';
import { runProcess, tempDir } from './support/run-process';

const BUF = require.resolve('@bufbuild/buf/bin/buf');
const PRISMA_CLI = require.resolve('prisma/build/index.js');
const GENERATION_TIMEOUT_MS = 180_000;

/** Every file under `root`, by relative path, with its content. */
function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    files.set(path.relative(root, absolute), readFileSync(absolute, 'utf8'));
  }
  return files;
}

/** File lists must match, then every file byte for byte; reports the paths that differ. */
function expectSameTree(generatedRoot: string, committedRoot: string): void {
  expect(existsSync(generatedRoot)).toBe(true);
  const generated = readTree(generatedRoot);
  const committed = readTree(committedRoot);
  expect([...generated.keys()].sort()).toEqual([...committed.keys()].sort());
  expect(committed.size).toBeGreaterThan(0);
  const differing = [...committed.keys()].filter((file) => generated.get(file) !== committed.get(file));
  expect(differing).toEqual([]);
}

/** A temp repo mirror whose node_modules is the repo's, so relative plugin and runtime paths resolve. */
function mirror(prefix: string) {
  const temp = tempDir(prefix);
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(temp.dir, 'node_modules'), 'dir');
  return temp;
}

describe('generated code drift', () => {
  test(
    'when buf generate runs with the committed proto/buf.gen.yaml, then its output equals shared/src/generated/proto file for file',
    async () => {
      const temp = mirror('buf-generate');
      try {
        // buf.gen.yaml runs ../node_modules/ts-proto/protoc-gen-ts_proto and writes to
        // ../shared/src/generated/proto, relative to proto/: both resolve inside the mirror.
        cpSync(path.join(REPO_ROOT, 'proto'), path.join(temp.dir, 'proto'), { recursive: true });

        const result = await runProcess(process.execPath, [BUF, 'generate'], { cwd: path.join(temp.dir, 'proto') });

        expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
        expectSameTree(path.join(temp.dir, 'shared/src/generated/proto'), path.join(REPO_ROOT, 'shared/src/generated/proto'));
      } finally {
        temp.remove();
      }
    },
    GENERATION_TIMEOUT_MS,
  );

  test.each(Object.keys(SUBGRAPH_DATABASES) as SubgraphName[])(
    'when prisma generate runs on prisma/%s/schema.prisma, then its output equals the committed client file for file',
    async (name) => {
      const temp = mirror(`prisma-generate-${name}`);
      try {
        const schema = path.relative(REPO_ROOT, SUBGRAPH_DATABASES[name].schema);
        mkdirSync(path.dirname(path.join(temp.dir, schema)), { recursive: true });
        cpSync(SUBGRAPH_DATABASES[name].schema, path.join(temp.dir, schema));

        // The same invocation as scripts/generate-prisma.ts (offline: any existing file as the engine).
        const result = await runProcess(process.execPath, [PRISMA_CLI, 'generate', '--schema', schema], {
          cwd: temp.dir,
          env: { PRISMA_SCHEMA_ENGINE_BINARY: require.resolve('prisma/package.json'), PRISMA_HIDE_UPDATE_MESSAGE: '1' },
        });

        // Prisma reports progress on stderr; it is only shown when the exit code is wrong.
        expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
        const output = `subgraphs/${name}/src/generated/prisma`;
        expectSameTree(path.join(temp.dir, output), path.join(REPO_ROOT, output));
      } finally {
        temp.remove();
      }
    },
    GENERATION_TIMEOUT_MS,
  );
});
