import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const repoRoot = path.resolve(__dirname, '../..');
const run = promisify(execFile);

const CASES: Array<[fixture: string, lintedAs: string, expected: string]> = [
  [
    'service-imports-another-service.ts',
    'subgraphs/users/src/use-cases/sign-up.ts',
    "Services never import each other's code (users → orders)",
  ],
  ['gateway-imports-subgraph.ts', 'gateway/src/gateway-context.ts', "Services never import each other's code (gateway → users)"],
  ['shared-imports-service.ts', 'shared/src/errors/app-error.ts', '@fedshop/shared never imports a service (gateway)'],
  [
    'resolver-imports-repository.ts',
    'subgraphs/orders/src/graphql/resolvers.ts',
    'Transports (GraphQL resolvers, gRPC handlers) call use cases, never repositories',
  ],
  ['grpc-handler-imports-prisma.ts', 'subgraphs/users/src/grpc/user-service.ts', 'Only repositories import Prisma'],
  ['use-case-imports-prisma.ts', 'subgraphs/orders/src/use-cases/place-order.ts', 'Only repositories import Prisma'],
  ['cast-as-never.ts', 'gateway/src/gateway-context.ts', 'No `as never`'],
];
const ALLOWED: [fixture: string, lintedAs: string] = [
  'repository-imports-prisma.ts',
  'subgraphs/orders/src/repositories/product-repository.ts',
];

/**
 * The architecture's rules are kept by `npm run lint` (eslint.config.mjs): each boundary is
 * broken on purpose by a fixture, linted as if it were a file at that place in the tree, and
 * must fail with that boundary's message; the same import where it belongs must pass.
 */
describe('lint: the boundaries hold', () => {
  let problems: string[][];
  beforeAll(async () => {
    const pairs = [...CASES, ALLOWED].flatMap(([fixture, lintedAs]) => [path.join(__dirname, 'lint-fixtures', fixture), lintedAs]);
    const { stdout } = await run(process.execPath, [path.join(__dirname, 'support/lint-as.mjs'), ...pairs], { cwd: repoRoot });
    problems = JSON.parse(stdout) as string[][];
  });

  test.each(CASES.map((testCase, index) => [...testCase, index] as const))(
    'when %s is linted as %s, then it fails: %s',
    (_fixture, _lintedAs, expected, index) => {
      expect(problems[index]).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    },
  );

  test('when a repository imports Prisma, then no boundary is broken', () => {
    expect(problems[CASES.length]!.filter((problem) => problem.startsWith('no-restricted-imports'))).toEqual([]);
  });
});

describe('lint: the codebase', () => {
  test('when `npm run lint` runs (typescript-eslint with types, then Prettier), then it reports nothing', async () => {
    const lint = run('npm', ['run', '--silent', 'lint'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
    await expect(lint.then(() => 'clean')).resolves.toBe('clean');
  });
});
