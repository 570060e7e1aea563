/**
 * Delivery: what every deployment artifact is checked against. Each service's config loader is
 * the binding list of variables; in production a service refuses to start with one clear line
 * per missing or invalid variable (the process, started exactly as the images start it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { healthRoutes } from '@fedshop/shared/http';
import { minimalEnv, runIsolated } from './support/process';
import { configProblems, REPO_ROOT, requiredInProduction, SERVICES, service, variablesRead } from './support/services';

/** Starts a service's compiled entry the way its image does (`node dist/main.js`), with only the given environment. */
function startWithEnv(entry: string, env: Record<string, string>) {
  return runIsolated(process.execPath, [entry], { cwd: REPO_ROOT, env: { ...minimalEnv(), ...env } }).then((result) => ({
    ...result,
    problems: result.stderr.split('\n').filter((line) => line.startsWith('  - ')),
  }));
}

describe('service configuration as deployments see it', () => {
  test('when each config loader runs, then it reads the variables its service documents, including the deployment ones', () => {
    const read = Object.fromEntries(SERVICES.map((candidate) => [candidate.name, variablesRead(candidate.loadConfig)]));

    expect(read.gateway).toEqual(expect.arrayContaining(['NODE_ENV', 'PORT', 'USERS_URL', 'ORDERS_URL', 'JWKS_URL']));
    expect(read.users).toEqual(
      expect.arrayContaining(['NODE_ENV', 'PORT', 'GRPC_PORT', 'DATABASE_URL', 'JWT_PRIVATE_KEY', 'ORDER_SERVICE_ADDR']),
    );
    expect(read.orders).toEqual(expect.arrayContaining(['NODE_ENV', 'PORT', 'GRPC_PORT', 'DATABASE_URL', 'USER_SERVICE_ADDR', 'JWKS_URL']));
  });

  test('when every variable a loader reads is looked up in .env.example, then each one is documented there', () => {
    const example = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]!));
    // Inline mentions ("JWKS_URL, JWT_ISSUER … as above") count too.
    const mentioned = (name: string) => documented.has(name) || new RegExp(`\\b${name}\\b`).test(example);

    const undocumented = SERVICES.flatMap((candidate) =>
      variablesRead(candidate.loadConfig)
        .filter((name) => !mentioned(name))
        .map((name) => `${candidate.name}: ${name}`),
    );
    expect(undocumented).toEqual([]);
  });

  test("when the loaders run with no environment, then their default ports are the README's (deployments rely on them)", () => {
    for (const candidate of SERVICES) {
      const config = candidate.loadConfig({}) as { http: { port: number }; grpc?: { port: number } };
      expect({ service: candidate.name, http: config.http.port, grpc: config.grpc?.port }).toEqual({
        service: candidate.name,
        http: candidate.httpPort,
        grpc: candidate.grpcPort,
      });
    }
  });

  test('when the shared health routes are built, then /healthz and /readyz are what every service serves', () => {
    const routes = healthRoutes({ checks: [], isShuttingDown: () => false });

    expect(Object.keys(routes)).toEqual(expect.arrayContaining(['GET /healthz', 'GET /readyz']));
  });

  test('when production lacks what it needs, then the loaders name exactly the database URLs and the signing key', () => {
    expect(requiredInProduction(service('gateway').loadConfig)).toEqual([]);
    expect(requiredInProduction(service('users').loadConfig)).toEqual(['DATABASE_URL', 'JWT_PRIVATE_KEY']);
    expect(requiredInProduction(service('orders').loadConfig)).toEqual(['DATABASE_URL']);
  });

  test('when a variable is invalid and another missing in production, then one run reports both, one line each', () => {
    const problems = configProblems(service('orders').loadConfig, { NODE_ENV: 'production', JWKS_URL: 'not a url' });

    expect(problems).toEqual(['JWKS_URL: must be a URL', 'DATABASE_URL: required in production']);
  });
});

describe('production start with a bad environment', () => {
  // The three services start at once (each start is a whole Node process).
  type Outcome = Awaited<ReturnType<typeof startWithEnv>>;
  let users: Outcome;
  let orders: Outcome;
  let gateway: Outcome;
  beforeAll(async () => {
    const production = { NODE_ENV: 'production' };
    [users, orders, gateway] = await Promise.all([
      startWithEnv('subgraphs/users/dist/main.js', {
        ...production,
        PORT: 'eighty',
        DATABASE_URL: 'mysql://users@db/users',
        ADMIN_EMAIL: 'ops@example.com',
      }),
      startWithEnv('subgraphs/orders/dist/main.js', {
        ...production,
        GRPC_PORT: '70000',
        JWKS_URL: 'not a url',
        SEED_CATALOG: 'sometimes',
      }),
      startWithEnv('gateway/dist/main.js', { ...production, PORT: '-1', USERS_URL: 'not a url', SUBGRAPH_TIMEOUT_MS: '0' }),
    ]);
  }, 60_000);

  const variables = (outcome: Outcome) => outcome.problems.map((line) => /^ {2}- ([A-Z_]+(?: \/ [A-Z_]+)?):/.exec(line)?.[1]);

  test('when the users service starts without its secrets and with a bad port and URL, then it exits 1 naming each variable once', () => {
    expect(users.code).toBe(1);
    expect(users.stderr).toMatch(/^users: Invalid configuration:\n/);
    expect(variables(users)).toEqual(['PORT', 'DATABASE_URL', 'JWT_PRIVATE_KEY', 'ADMIN_EMAIL / ADMIN_PASSWORD']);
    expect(users.problems).toContain('  - DATABASE_URL: must be a postgres:// URL');
    expect(users.problems).toContain('  - JWT_PRIVATE_KEY: required in production');
    expect(users.stdout).toBe('');
  });

  test('when the orders service starts without DATABASE_URL and with bad values, then it exits 1 with one line per variable', () => {
    expect(orders.code).toBe(1);
    expect(orders.stderr).toMatch(/^orders: Invalid configuration:\n/);
    expect(variables(orders)).toEqual(['GRPC_PORT', 'SEED_CATALOG', 'JWKS_URL', 'DATABASE_URL']);
    expect(orders.problems).toContain('  - DATABASE_URL: required in production');
    expect(orders.stdout).toBe('');
  });

  test('when the gateway starts with invalid values, then it exits 1 with one line per variable and serves nothing', () => {
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toMatch(/^gateway: Invalid configuration:\n/);
    expect(variables(gateway)).toEqual(['PORT', 'USERS_URL', 'SUBGRAPH_TIMEOUT_MS']);
    expect(gateway.stdout).toBe('');
  });
});
