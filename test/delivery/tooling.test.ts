/**
 * Delivery tooling: the GitHub workflow (which cannot run here, so it is read and checked against
 * package.json), the Makefile, and the scripts it and the design name, run for real where they
 * can be (migrations against a fresh database, code generation in a temp mirror of the repo).
 */
import { accessSync, constants, cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createTestDatabase, type TestDatabase } from '@fedshop/shared/testing';
import { tempDir } from '../contract/support/run-process';
import { minimalEnv, runIsolated } from './support/process';
import { REPO_ROOT, rootScripts } from './support/services';

/** npm scripts other issues bring; the Makefile may call them before they land. */
const PENDING_SCRIPTS: Record<string, string> = { bench: 'the performance work (npm run bench)' };

function npmRunScripts(text: string): string[] {
  return [...new Set([...text.matchAll(/\bnpm run (?:--silent |-s )?([\w:.-]+)/g)].map((match) => match[1]!))].sort();
}

interface Workflow {
  on: unknown;
  jobs: Record<
    string,
    {
      services?: Record<string, { image: string }>;
      env?: Record<string, string>;
      steps: Array<{ name?: string; run?: string; uses?: string; env?: Record<string, string> }>;
    }
  >;
}

describe('.github/workflows/ci.yml', () => {
  const text = readFileSync(path.join(REPO_ROOT, '.github/workflows/ci.yml'), 'utf8');
  const workflow = parseYaml(text) as Workflow;
  const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));

  test('when the workflow is read, then every npm script it calls exists in package.json', () => {
    const scripts = rootScripts();
    const called = npmRunScripts(text);

    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((name) => !(name in scripts))).toEqual([]);
  });

  test('when the workflow is read, then it installs rover and fails when rover’s composition differs from supergraph.graphql', () => {
    const script = runs.join('\n');
    expect(script).toMatch(/curl -sSL https:\/\/rover\.apollo\.dev\/nix\/latest \| sh/);
    expect(script).toMatch(/rover supergraph compose --config rover\.yaml > (\S+)\n\s*diff -u supergraph\.graphql \1/);
  });

  test('when the workflow is read, then buf breaking runs against the base branch', () => {
    const step = runs.find((run) => run.includes('buf breaking'));
    expect(step).toMatch(/buf breaking proto --against "\.git#ref=.*,subdir=proto"/);
    expect(step).toContain('origin/$BASE_BRANCH');
  });

  test('when the test job is read, then npm test runs with PostgreSQL and Redis containers and NATS with JetStream', () => {
    const job = Object.values(workflow.jobs).find((candidate) => candidate.steps.some((step) => step.run === 'npm test'))!;
    expect(job).toBeDefined();
    expect(
      Object.values(job.services ?? {})
        .map((service) => service.image.split(':')[0])
        .sort(),
    ).toEqual(['postgres', 'redis']);
    // Service containers take no command, and NATS needs `-js`: the job starts it itself.
    expect(job.steps.map((step) => step.run ?? '').join('\n')).toMatch(/docker run [^\n]*nats:2 -js/);
    // The browser test needs Chromium and nginx, the scale-out test HAProxy (as .ci/run installs them).
    expect(job.steps.map((step) => step.run ?? '').join('\n')).toMatch(/apt-get install -y chromium nginx-light haproxy/);
    expect(job.env).toMatchObject({
      TEST_DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*localhost:5432/),
      REDIS_URL: 'redis://localhost:6379',
      NATS_URL: 'nats://localhost:4222',
      FEDSHOP_BASE_REF: expect.stringContaining('origin/'),
    });
  });
});

describe('Makefile', () => {
  const text = readFileSync(path.join(REPO_ROOT, 'Makefile'), 'utf8');
  const targets = [...text.matchAll(/^([A-Za-z0-9_%-]+):/gm)].map((match) => match[1]!);

  test('when the targets are read, then build, up, down, test, proto, compose, migrate and bench are there', () => {
    expect(targets).toEqual(expect.arrayContaining(['build', 'up', 'down', 'test', 'proto', 'compose', 'migrate', 'bench']));
  });

  test('when the npm scripts it calls are looked up, then each exists or is one a pending issue brings', () => {
    const scripts = rootScripts();
    const missing = npmRunScripts(text).filter((name) => !(name in scripts));
    expect(missing.filter((name) => !(name in PENDING_SCRIPTS))).toEqual([]);
  });

  test('when make dry-runs the targets, then each expands to the commands the design names', async () => {
    const result = await runIsolated('make', ['-n', 'build', 'up', 'down', 'test', 'proto', 'compose', 'migrate', 'SUBGRAPH=users'], {
      cwd: REPO_ROOT,
      env: minimalEnv(),
    });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const [file, service] of [
      ['gateway/Dockerfile', 'gateway'],
      ['subgraphs/users/Dockerfile', 'users'],
      ['subgraphs/orders/Dockerfile', 'orders'],
      ['clients/web/Dockerfile', 'web'],
    ]) {
      expect(result.stdout).toContain(`docker build -f ${file} --build-arg VERSION=${version} -t fedshop/${service}:${version} .`);
    }
    expect(result.stdout).toContain('docker compose up -d --wait');
    expect(result.stdout).toContain('scripts/generate-proto.sh');
    expect(result.stdout).toContain('scripts/run-migrations.sh users');
  });
});

describe('delivery scripts', () => {
  test('when the shell scripts are checked, then each is executable and parses', async () => {
    const scripts = ['scripts/generate-proto.sh', 'scripts/run-migrations.sh', 'deploy/generate-secrets.sh'];
    for (const script of scripts) {
      expect(() => accessSync(path.join(REPO_ROOT, script), constants.X_OK)).not.toThrow();
      const syntax = await runIsolated('bash', ['-n', script], { cwd: REPO_ROOT, env: minimalEnv() });
      expect({ script, code: syntax.code, stderr: syntax.stderr }).toEqual({ script, code: 0, stderr: '' });
    }
  });

  describe('scripts/run-migrations.sh', () => {
    type Result = Awaited<ReturnType<typeof runIsolated>>;
    let database: TestDatabase;
    let applied: Result;
    let withoutUrl: Result;
    // Independent runs, started at once. (A second run finding nothing to do is the applier's
    // own contract, tested with `npm run migrate` in test/tooling.)
    beforeAll(async () => {
      database = await createTestDatabase('delivery_migrate');
      [applied, withoutUrl] = await Promise.all([
        runIsolated('scripts/run-migrations.sh', ['orders'], { cwd: REPO_ROOT, env: { ...minimalEnv(), DATABASE_URL: database.url } }),
        runIsolated('scripts/run-migrations.sh', [], { cwd: REPO_ROOT, env: minimalEnv() }),
      ]);
    });
    afterAll(async () => {
      await database?.drop();
    });

    test('when run for one subgraph with DATABASE_URL, then it applies that subgraph’s migrations', () => {
      expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
      expect(applied.stdout).toMatch(/^orders: applied \d+_init/);
    });

    test('when no database URL is given, then it exits 2 and says which variable to set', () => {
      expect(withoutUrl.code).toBe(2);
      expect(withoutUrl.stderr).toContain('users: set USERS_DATABASE_URL to the database to migrate');
      expect(withoutUrl.stderr).toContain('orders: set ORDERS_DATABASE_URL to the database to migrate');
    });
  });

  test('when scripts/generate-proto.sh runs in a mirror of the repo, then it lints and regenerates exactly the committed stubs', async () => {
    const temp = tempDir('generate-proto');
    try {
      for (const entry of ['package.json', 'proto', 'scripts/generate-proto.sh']) {
        mkdirSync(path.dirname(path.join(temp.dir, entry)), { recursive: true });
        cpSync(path.join(REPO_ROOT, entry), path.join(temp.dir, entry), { recursive: true });
      }
      symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(temp.dir, 'node_modules'), 'dir');

      const result = await runIsolated('scripts/generate-proto.sh', [], { cwd: temp.dir, env: minimalEnv(), timeoutMs: 60_000 });

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toContain('generated shared/src/generated/proto from proto/');
      const tree = (root: string) =>
        readdirSync(root, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
          .sort();
      const generated = path.join(temp.dir, 'shared/src/generated/proto');
      const committed = path.join(REPO_ROOT, 'shared/src/generated/proto');
      expect(tree(generated)).toEqual(tree(committed));
      for (const file of tree(committed)) {
        expect({
          file,
          same: readFileSync(path.join(generated, file), 'utf8') === readFileSync(path.join(committed, file), 'utf8'),
        }).toEqual({ file, same: true });
      }
    } finally {
      temp.remove();
    }
  });
});
