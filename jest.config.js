// @ts-check
/**
 * One jest run for the whole repo: unit tests next to the code (the storefront's included), service
 * tests in each service's test/, cross-service and browser tests in test/. TypeScript is stripped by swc (types are
 * checked separately by `npm run typecheck`); ESM-only dependencies are transformed too so
 * everything loads as CommonJS.
 *
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  // Workspaces resolve each other's TypeScript sources (package.json `exports`), as `npm start` does.
  testEnvironmentOptions: { customExportConditions: ['@fedshop/source', 'node', 'node-addons'] },
  roots: [
    '<rootDir>/shared',
    '<rootDir>/gateway',
    '<rootDir>/subgraphs',
    '<rootDir>/clients',
    '<rootDir>/test',
    '<rootDir>/scripts',
    '<rootDir>/bench',
  ],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose|graphql-request|@graphql-typed-document-node|cockatiel)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  // Services, databases and gRPC servers are real; two cores run two files at a time.
  maxWorkers: 2,
};
