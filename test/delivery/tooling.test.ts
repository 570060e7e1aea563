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
import { commandsRunning, describeCommands, invocation, missingCommands, parseScript, runsCommand, type Command } from './support/shell';
import { runStep, runSteps, type Workflow, type WorkflowStep } from './support/workflow';

/** npm scripts other issues bring; the Makefile may call them before they land. */
const PENDING_SCRIPTS: Record<string, string> = { bench: 'the performance work (npm run bench)' };

/** The package.json scripts the commands run: `npm run <name>` (`run-script` too) and `npm test` / `npm start`. */
function npmScripts(commands: Command[]): string[] {
  const names = commands.flatMap((command) => {
    const npm = invocation(command.argv);
    if (npm.program !== 'npm' || npm.wrappers.length > 0) return [];
    const [verb, name] = npm.operands;
    if ((verb === 'run' || verb === 'run-script') && name) return [name];
    return verb === 'test' || verb === 'start' ? [verb] : [];
  });
  return [...new Set(names)].sort();
}

/** Make's own list of the Makefile's targets (its database: `make -p`), special and pattern targets left out. */
async function makeTargets(): Promise<string[]> {
  const result = await runIsolated('make', ['-p', '-n', '-r', '-R', '-f', 'Makefile'], { cwd: REPO_ROOT, env: minimalEnv() });
  if (result.code !== 0) throw new Error(`make -p failed:\n${result.stderr}`);
  const lines = result.stdout.split('\n');
  const files = lines.slice(lines.indexOf('# Files'), lines.indexOf('# Finished Make data base'));
  return files.flatMap((line, index) => {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#') || line.startsWith('\t') || files[index - 1] === '# Not a target:') return [];
    const name = line.slice(0, colon);
    return name.startsWith('.') || name.includes('%') || name.includes(' ') || name === 'Makefile' ? [] : [name];
  });
}

/** The one run step whose commands include `expected`. */
function stepRunning(workflow: Workflow, expected: string): WorkflowStep {
  const steps = runSteps(workflow).filter(({ commands }) => commandsRunning(commands, expected).length > 0);
  if (steps.length !== 1) throw new Error(`expected one step running ${expected}, found ${steps.length}`);
  return steps[0]!.step;
}

/** A stand-in program's body: run the rest of argv (sudo). */
const EXEC_REST = `const run = require('node:child_process').spawnSync(process.argv[2], process.argv.slice(3), { stdio: 'inherit' }); process.exit(run.status ?? 1);`;

describe('.github/workflows/ci.yml', () => {
  const workflow = parseYaml(readFileSync(path.join(REPO_ROOT, '.github/workflows/ci.yml'), 'utf8')) as Workflow;
  const steps = runSteps(workflow);

  test('when the workflow is read, then every npm script it calls exists in package.json', () => {
    const scripts = rootScripts();
    const called = npmScripts(steps.flatMap((step) => step.commands));

    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((name) => !(name in scripts))).toEqual([]);
  });

  test('when the rover install step runs, then it pipes rover’s installer from rover.apollo.dev into sh and puts rover on the PATH', async () => {
    const step = stepRunning(workflow, 'curl https://rover.apollo.dev/nix/latest');
    // curl prints an installer that records how sh ran it.
    const installer = `process.stdout.write('printf "%s\\\\n" "$0 $*" > "$HOME/installer-ran"\\n');`;
    const run = await runStep(step.run!, { cwd: REPO_ROOT, stubs: { curl: installer }, github: {} });
    try {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const curl = run.calls.filter(([program]) => program === 'curl');
      expect(curl.map((argv) => runsCommand(argv, 'curl -sSL https://rover.apollo.dev/nix/latest'))).toEqual([true]);
      // The installer ran under sh ($0), with the step's arguments for it.
      expect(readFileSync(path.join(run.dir, 'installer-ran'), 'utf8').trim().split(' ')[0]).toBe('sh');
      expect(readFileSync(path.join(run.dir, 'github_path'), 'utf8').trim()).toBe(path.join(run.dir, '.rover/bin'));
    } finally {
      run.cleanup();
    }
  });

  test('when the composition step is read, then rover composes rover.yaml into a file, diff compares it with supergraph.graphql, and a difference fails the step', () => {
    // Read, not run: the step writes a fixed path under /tmp, which other sessions on this machine may share.
    const { commands } = steps.find(
      (candidate) => commandsRunning(candidate.commands, 'rover supergraph compose --config rover.yaml').length > 0,
    )!;
    const rover = commands.findIndex((command) => runsCommand(command.argv, 'rover supergraph compose --config rover.yaml'));
    const output = commands[rover]!.redirects.filter((redirect) => redirect.op === '>' && !redirect.fd);
    expect(output).toHaveLength(1);
    const diff = commands.findIndex((command, index) => index > rover && invocation(command.argv).program === 'diff');
    expect({ commands: describeCommands(commands), diff: diff > rover }).toEqual({ commands: describeCommands(commands), diff: true });
    const compared = invocation(commands[diff]!.argv);
    expect({ operands: [...compared.operands].sort(), unified: compared.options.has('-u') }).toEqual({
      operands: ['supergraph.graphql', output[0]!.target].sort(),
      unified: true,
    });
    // Nothing swallows diff's failure: not `diff … || …`, not `… || diff`, not in the background.
    expect(
      [commands[diff]!.connector, commands[diff - 1]?.connector].filter((connector) => connector === '||' || connector === '&'),
    ).toEqual([]);
  });

  test('when the buf step runs on a pull request, then buf lints proto/ and checks breaking changes against the base branch’s commit', async () => {
    const step = stepRunning(workflow, 'npx buf breaking proto');
    const stubs = {
      npx: '',
      // git rev-parse answers a made-up commit named after the ref; the other git calls succeed.
      git: `if (process.argv[2] === 'rev-parse') process.stdout.write('sha-of-' + process.argv[3] + '\\n');`,
    };
    const pullRequest = await runStep(step.run!, {
      cwd: REPO_ROOT,
      stubs,
      env: { BASE_BRANCH: 'release-7' },
      github: { 'github.event_name': 'pull_request', 'github.event.before': 'before-sha' },
    });
    const push = await runStep(step.run!, {
      cwd: REPO_ROOT,
      stubs,
      env: { BASE_BRANCH: 'main' },
      github: { 'github.event_name': 'push', 'github.event.before': 'before-sha' },
    });
    pullRequest.cleanup();
    push.cleanup();
    const bufCalls = (run: typeof push) => run.calls.filter(([program]) => program === 'npx');
    expect({ code: pullRequest.code, stderr: pullRequest.stderr }).toEqual({ code: 0, stderr: '' });
    expect(bufCalls(pullRequest).map((argv) => runsCommand(argv, 'npx buf lint proto'))).toContain(true);
    const breaking = bufCalls(pullRequest).filter((argv) => runsCommand(argv, 'npx buf breaking proto'));
    expect(breaking.map((argv) => invocation(argv).options.get('--against'))).toEqual([['.git#ref=sha-of-origin/release-7,subdir=proto']]);
    // On a push to main: the commit before the push.
    expect(
      bufCalls(push)
        .filter((argv) => runsCommand(argv, 'npx buf breaking proto'))
        .map((argv) => invocation(argv).options.get('--against')),
    ).toEqual([['.git#ref=sha-of-before-sha,subdir=proto']]);
  });

  test('when the test job is read, then npm test runs with PostgreSQL and Redis containers and NATS with JetStream', async () => {
    const [jobName, job] = Object.entries(workflow.jobs).find(([name]) =>
      steps.some((candidate) => candidate.job === name && commandsRunning(candidate.commands, 'npm test').length > 0),
    )!;
    expect(job).toBeDefined();
    expect(
      Object.values(job.services ?? {})
        .map((service) => service.image.split(':')[0])
        .sort(),
    ).toEqual(['postgres', 'redis']);
    const jobSteps = steps.filter((candidate) => candidate.job === jobName);

    // Service containers take no command, and NATS needs `-js`: the job starts it itself.
    const nats = jobSteps.find((candidate) =>
      candidate.commands.some((command) => {
        const call = invocation(command.argv);
        return call.program === 'docker' && call.operands[0] === 'run';
      }),
    )!.step;
    const started = await runStep(nats.run!, { cwd: REPO_ROOT, stubs: { docker: '', curl: '', sleep: '' }, github: {} });
    started.cleanup();
    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
    const dockerRun = started.calls
      .filter(([program]) => program === 'docker')
      .map((argv) =>
        invocation(argv, {
          clusteredShortOptions: true,
          valueOptions: ['--name', '-p', '--publish', '-e', '--env', '-v', '--volume', '--network'],
          operandsBeforeRest: 2,
        }),
      )
      .filter((call) => call.operands[0] === 'run');
    expect(dockerRun.map((call) => ({ image: call.operands[1], jetStream: call.rest.includes('-js') }))).toEqual([
      { image: 'nats:2', jetStream: true },
    ]);

    // The browser test needs Chromium and nginx, the scale-out test HAProxy (as .ci/run installs them).
    const install = jobSteps.find((candidate) =>
      candidate.commands.some((command) => invocation(command.argv).program === 'apt-get'),
    )!.step;
    const installed = await runStep(install.run!, { cwd: REPO_ROOT, stubs: { sudo: EXEC_REST, 'apt-get': '' }, github: {} });
    installed.cleanup();
    expect({ code: installed.code, stderr: installed.stderr }).toEqual({ code: 0, stderr: '' });
    const aptInstall = installed.calls
      .filter(([program]) => program === 'apt-get')
      .map((argv) => invocation(argv))
      .filter((call) => call.operands[0] === 'install');
    expect(aptInstall.map((call) => ({ assumeYes: call.options.has('-y'), packages: call.operands.slice(1) }))).toEqual([
      { assumeYes: true, packages: expect.arrayContaining(['chromium', 'nginx-light', 'haproxy']) },
    ]);

    expect(job.env).toMatchObject({
      REDIS_URL: 'redis://localhost:6379',
      NATS_URL: 'nats://localhost:4222',
      FEDSHOP_BASE_REF: expect.stringContaining('origin/'),
    });
    const database = new URL(job.env!.TEST_DATABASE_URL!);
    expect({ protocol: database.protocol, host: database.host }).toEqual({ protocol: 'postgres:', host: 'localhost:5432' });
  });
});

describe('Makefile', () => {
  let targets: string[];
  beforeAll(async () => {
    targets = await makeTargets();
  });

  test('when the targets are read, then build, up, down, test, proto, compose, migrate and bench are there', () => {
    expect(targets).toEqual(expect.arrayContaining(['build', 'up', 'down', 'test', 'proto', 'compose', 'migrate', 'bench']));
  });

  test('when the npm scripts every target runs are looked up, then each exists or is one a pending issue brings', async () => {
    // Every target dry-run at once (pattern targets through the targets that use them, build-% through build).
    const result = await runIsolated('make', ['-n', ...targets], { cwd: REPO_ROOT, env: minimalEnv() });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const scripts = rootScripts();
    const called = npmScripts(parseScript(result.stdout));
    expect(called).toEqual(expect.arrayContaining(['compose', 'test', 'typecheck']));
    const missing = called.filter((name) => !(name in scripts));
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
    const commands = parseScript(result.stdout);
    const expected = [
      ...[
        ['gateway/Dockerfile', 'gateway'],
        ['subgraphs/users/Dockerfile', 'users'],
        ['subgraphs/orders/Dockerfile', 'orders'],
        ['clients/web/Dockerfile', 'web'],
      ].map(([file, service]) => `docker build -f ${file} --build-arg VERSION=${version} -t fedshop/${service}:${version} .`),
      'docker compose up -d --wait',
      'scripts/generate-proto.sh',
      'scripts/run-migrations.sh users',
    ];
    expect({ missing: missingCommands(commands, expected), ran: describeCommands(commands) }).toEqual({
      missing: [],
      ran: describeCommands(commands),
    });
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
