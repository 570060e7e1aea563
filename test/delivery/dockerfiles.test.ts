/**
 * Delivery: one Dockerfile per service, read statically (no Docker engine on these machines):
 * multi-stage on a Node LTS slim base, generated code rebuilt and everything compiled in the build
 * stage, only that workspace's production dependencies, compiled JavaScript run by plain node,
 * non-root, a HEALTHCHECK on /healthz, the service's real ports, and nothing copied that the
 * build context (.dockerignore) leaves out. production-dependencies.test.ts installs and runs
 * what these files describe.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  copyArguments,
  execForm,
  healthcheck,
  parseDockerfile,
  runCommands,
  stageEnvironment,
  type Dockerfile,
  type Stage,
} from './support/dockerfile';
import { allDirectives, directive, location } from './support/nginx-config';
import { readStorefrontConfig, startStorefrontNginx, storefrontServer, type RunningNginx } from './support/nginx';
import { httpTarget, runProbe } from './support/probe';
import { REPO_ROOT, SERVICES } from './support/services';
import { missingCommands } from './support/shell';

const WORKSPACE_MANIFESTS = [
  'shared/package.json',
  'gateway/package.json',
  'subgraphs/users/package.json',
  'subgraphs/orders/package.json',
  'clients/web/package.json',
];

function read(workspace: string): Dockerfile {
  return parseDockerfile(readFileSync(path.join(REPO_ROOT, workspace, 'Dockerfile'), 'utf8'));
}

function args(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

/** Every command the stage's RUN instructions run. */
function runs(stage: Stage) {
  return args(stage, 'RUN').flatMap(runCommands);
}

/** .dockerignore patterns (no negations are needed for the paths checked here). */
function ignored(file: string): boolean {
  const patterns = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
  return patterns.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
    return regex.test(file);
  });
}

describe.each(SERVICES.map((candidate) => [candidate.name, candidate] as const))('%s/Dockerfile', (_name, candidate) => {
  const dockerfile = read(candidate.workspace);
  const runtime = dockerfile.stages.at(-1)!;
  const build = dockerfile.stages.find((stage) => stage.name === 'build');

  test('when the stages are read, then it is multi-stage on a Node 24 slim image and ends in the runtime stage', () => {
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'deps', 'runtime']);
    for (const stage of dockerfile.stages) expect(stage.image).toMatch(/^node:24(\.\d+)*-(bookworm-)?slim$/);
  });

  test('when the build stage runs, then it installs from the lockfile, regenerates the committed generated code and compiles', () => {
    expect(build).toBeDefined();
    const generate = candidate.name === 'gateway' ? 'npm run compose -- --check' : 'npm run prisma:generate';
    expect(missingCommands(runs(build!), ['npm ci', 'npm run proto', generate, 'npm run build'])).toEqual([]);
  });

  test('when dependencies are installed for the runtime, then the manifests are narrowed to this workspace and installed without dev tools', () => {
    const deps = dockerfile.stages.find((stage) => stage.name === 'deps')!;
    expect(missingCommands(runs(deps), [`node scripts/narrow-to-workspace.cjs ${candidate.workspace}`, 'npm install --omit=dev'])).toEqual(
      [],
    );
    const copied = args(deps, 'COPY').flatMap((line) => copyArguments(line).sources);
    expect(copied).toEqual([
      'package.json',
      'package-lock.json',
      'shared/package.json',
      `${candidate.workspace}/package.json`,
      'scripts/narrow-to-workspace.cjs',
    ]);
    expect(args(runtime, 'RUN')).toEqual([]);
  });

  test('when the runtime stage is read, then it runs as a non-root user with production defaults and the service’s ports', () => {
    expect(args(runtime, 'USER')).toEqual(['node']);
    const env = stageEnvironment(runtime);
    expect({ NODE_ENV: env.NODE_ENV, PORT: env.PORT }).toEqual({ NODE_ENV: 'production', PORT: String(candidate.httpPort) });
    const exposed = args(runtime, 'EXPOSE')
      .flatMap((line) => line.split(/\s+/))
      .map(Number);
    expect(exposed).toEqual([candidate.httpPort, ...(candidate.grpcPort ? [candidate.grpcPort] : [])]);
    if (candidate.grpcPort) expect(env.GRPC_PORT).toBe(String(candidate.grpcPort));
  });

  test('when the health check runs, then it asks GET /healthz with node on PORT (the service’s port by default) and fails unless answered 2xx', async () => {
    const instructions = args(runtime, 'HEALTHCHECK');
    expect(instructions).toHaveLength(1);
    const probe = healthcheck(instructions[0]!)!.command;
    expect(probe.slice(0, 2)).toEqual(['node', '-e']);
    const otherPort = candidate.httpPort + 1000;
    const [healthy, followsPort, unhealthy] = await Promise.all([
      runProbe(probe, { servicePort: candidate.httpPort, status: 200 }),
      runProbe(probe, { servicePort: otherPort, status: 204, env: { PORT: String(otherPort) } }),
      runProbe(probe, { servicePort: candidate.httpPort, status: 503 }),
    ]);
    expect(healthy).toEqual({ code: 0, requests: ['GET /healthz'], connections: [`127.0.0.1:${candidate.httpPort}`] });
    expect(followsPort).toEqual({ code: 0, requests: ['GET /healthz'], connections: [`127.0.0.1:${otherPort}`] });
    expect({ code: unhealthy.code, requests: unhealthy.requests }).toEqual({ code: 1, requests: ['GET /healthz'] });
  });

  test('when the command is read, then it runs the compiled entry with plain node', () => {
    // No tsx, no loader flags: dist/main.js installs the tracing instrumentations itself, first.
    expect(args(runtime, 'WORKDIR').at(-1)).toBe(`/app/${candidate.workspace}`);
    expect(execForm(args(runtime, 'CMD').at(-1)!)).toEqual(['node', 'dist/main.js']);
    expect(`/app/${candidate.workspace}/dist/main.js`).toBe(`/app/${candidate.entry}`);
  });

  test('when the runtime stage copies files, then each comes from the build or deps stage or exists in the build context', () => {
    const stages = new Set(dockerfile.stages.map((stage) => stage.name));
    for (const line of args(runtime, 'COPY')) {
      const copy = copyArguments(line);
      if (copy.from) {
        expect(stages.has(copy.from)).toBe(true);
        continue;
      }
      for (const source of copy.sources) {
        expect({ source, exists: existsSync(path.join(REPO_ROOT, source)), ignored: ignored(source) }).toEqual({
          source,
          exists: true,
          ignored: false,
        });
      }
    }
    const fromBuild = args(runtime, 'COPY')
      .map(copyArguments)
      .filter((copy) => copy.from === 'build')
      .flatMap((copy) => copy.sources);
    // Compiled code (generated gRPC stubs and Prisma client included) comes from the build stage; no sources ship.
    expect(fromBuild).toEqual(expect.arrayContaining(['/src/shared/dist', `/src/${candidate.workspace}/dist`]));
    expect(fromBuild.filter((source) => source.endsWith('/src'))).toEqual([]);
  });
});

describe('files the services read by default', () => {
  /** Absolute paths inside the repo that a loaded config points at and that exist as files. */
  function defaultFiles(config: unknown): string[] {
    if (typeof config === 'string') {
      const relative = path.relative(REPO_ROOT, config);
      return path.isAbsolute(config) && !relative.startsWith('..') && existsSync(config) && statSync(config).isFile() ? [relative] : [];
    }
    if (typeof config === 'object' && config !== null) return Object.values(config).flatMap(defaultFiles);
    return [];
  }

  test.each(SERVICES.map((candidate) => [candidate.name, candidate] as const))(
    'when the %s config’s defaults name repo files, then its image holds each of them at the same path',
    (_name, candidate) => {
      const runtime = read(candidate.workspace).stages.at(-1)!;
      const copied = args(runtime, 'COPY')
        .map(copyArguments)
        .flatMap((copy) => copy.sources.map((source) => (copy.from === 'build' ? source.replace(/^\/src\//, '') : source)));
      // Local state (.data/…: the development key, embedded clusters) is not part of an image.
      const files = defaultFiles(candidate.loadConfig({})).filter((file) => !ignored(file));
      if (candidate.name === 'gateway') expect(files).toContain('supergraph.graphql');
      for (const file of files) {
        const covered = copied.some((source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`));
        expect({ file, covered }).toEqual({ file, covered: true });
      }
    },
  );
});

describe('subgraph images carry their migrations', () => {
  test.each(['users', 'orders'])(
    'when the %s image is read, then it holds its compiled migration command and that subgraph’s migrations only',
    (name) => {
      const runtime = read(`subgraphs/${name}`).stages.at(-1)!;
      const sources = args(runtime, 'COPY').flatMap((line) => copyArguments(line).sources);
      expect(sources).toEqual(expect.arrayContaining([`prisma/${name}/migrations`, `/src/subgraphs/${name}/dist`]));
      // `node dist/migrate.js` is compiled from the service's own src/migrate.ts.
      expect(existsSync(path.join(REPO_ROOT, `subgraphs/${name}/src/migrate.ts`))).toBe(true);
      const other = name === 'users' ? 'orders' : 'users';
      expect(sources.filter((source) => source.includes(other))).toEqual([]);
    },
  );
});

describe('clients/web/Dockerfile: the storefront', () => {
  const dockerfile = read('clients/web');
  const [build, runtime] = dockerfile.stages;

  test('when the stages are read, then the app is built on Node 24 slim and served by unprivileged nginx, with nothing else', () => {
    expect(dockerfile.stages.map((stage) => [stage.name, stage.image])).toEqual([
      ['build', expect.stringMatching(/^node:24(\.\d+)*-(bookworm-)?slim$/)],
      ['runtime', expect.stringMatching(/^nginxinc\/nginx-unprivileged:[\d.]+-alpine$/)],
    ]);
    expect(args(runtime!, 'RUN')).toEqual([]);
  });

  test('when the build stage runs, then it installs from the lockfile, checks the manifest against the app and builds', () => {
    expect(missingCommands(runs(build!), ['npm ci', 'npm run persisted-queries -- --check', 'npm run build -w clients/web'])).toEqual([]);
    const copied = args(build!, 'COPY').flatMap((line) => copyArguments(line).sources);
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', ...WORKSPACE_MANIFESTS]));
  });

  test('when the runtime stage is read, then nginx runs as non-root on 8080 with its config and the built files, probed on /healthz', () => {
    expect(args(runtime!, 'USER')).toEqual(['101']);
    expect(args(runtime!, 'EXPOSE')).toEqual(['8080']);
    const copies = args(runtime!, 'COPY').map(copyArguments);
    expect(copies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sources: ['clients/web/nginx/nginx.conf'], destination: '/etc/nginx/nginx.conf' }),
        expect.objectContaining({ from: 'build', sources: ['/src/clients/web/dist'], destination: '/usr/share/nginx/html' }),
      ]),
    );
    for (const copy of copies.filter((candidate) => !candidate.from)) {
      for (const source of copy.sources)
        expect({ source, exists: existsSync(path.join(REPO_ROOT, source)), ignored: ignored(source) }).toEqual({
          source,
          exists: true,
          ignored: false,
        });
    }
    const probe = args(runtime!, 'HEALTHCHECK').map((instruction) => httpTarget(healthcheck(instruction)!.command).href);
    expect(probe).toEqual(['http://127.0.0.1:8080/healthz']);
  });

  test('when nginx.conf is read, then it listens on the exposed port, serves the files the image copies and passes /graphql to the gateway', () => {
    const config = readStorefrontConfig();
    const server = storefrontServer(config);
    expect(directive(server.block, 'listen').args).toEqual(args(runtime!, 'EXPOSE'));
    const site = args(runtime!, 'COPY')
      .map(copyArguments)
      .find((copy) => copy.from === 'build')!.destination;
    expect(directive(server.block, 'root').args).toEqual([site]);
    // The gateway's Service and compose name, on its port.
    expect(directive(location(server, '=', '/graphql').block, 'proxy_pass').args).toEqual([`http://gateway:${SERVICES[0]!.httpPort}`]);
    // Only /tmp is written: the root file system is read-only in compose and Kubernetes.
    const written = allDirectives(config).filter((entry) => entry.name === 'pid' || entry.name.endsWith('_temp_path'));
    expect(written.length).toBeGreaterThan(1);
    for (const entry of written)
      expect({ directive: entry.name, underTmp: entry.args[0]!.startsWith('/tmp/') }).toEqual({ directive: entry.name, underTmp: true });
  });

  describe('nginx running nginx.conf as an unprivileged user (only the port, root, /tmp and upstream moved to this machine)', () => {
    const INDEX = '<!doctype html><title>fedshop</title><div id="root" data-page="index"></div>\n';
    const SCRIPT = 'console.log("app");\n';
    let site: string;
    let gateway: Server;
    const toGateway: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; upgrade: boolean }> = [];
    let nginx: RunningNginx;

    beforeAll(async () => {
      // A stand-in for the built app: the SPA entry and one hashed asset, readable by anyone.
      site = mkdtempSync(path.join(os.tmpdir(), 'fedshop-site-'));
      chmodSync(site, 0o755);
      mkdirSync(path.join(site, 'assets'), { mode: 0o755 });
      writeFileSync(path.join(site, 'index.html'), INDEX, { mode: 0o644 });
      writeFileSync(path.join(site, 'assets/app-1a2b3c.js'), SCRIPT, { mode: 0o644 });
      // A stand-in for the gateway: records what reaches it; answers upgrades with 101.
      gateway = createServer((request, response) => {
        toGateway.push({ method: request.method, url: request.url, headers: request.headers, upgrade: false });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}');
      });
      gateway.on('upgrade', (request, socket) => {
        toGateway.push({ method: request.method, url: request.url, headers: request.headers, upgrade: true });
        socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      });
      await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
      nginx = await startStorefrontNginx({ root: site, upstreamPort: (gateway.address() as AddressInfo).port });
    }, 30_000);
    afterAll(async () => {
      await nginx?.stop();
      await new Promise((resolve) => gateway?.close(resolve));
      rmSync(site, { recursive: true, force: true });
    });

    test('when it started, then it runs unprivileged and wrote its pid and temp folders under /tmp', () => {
      expect(nginx.uid).not.toBe(0);
      const written = allDirectives(readStorefrontConfig()).filter((entry) => entry.name === 'pid' || entry.name.endsWith('_temp_path'));
      for (const entry of written) {
        const local = path.join(nginx.tmp, entry.args[0]!.slice('/tmp'.length));
        expect({ directive: entry.name, exists: existsSync(local) }).toEqual({ directive: entry.name, exists: true });
        expect({ directive: entry.name, owner: statSync(local).uid }).toEqual({ directive: entry.name, owner: nginx.uid });
      }
    });

    test('when /healthz is asked, then it answers 200', async () => {
      const response = await fetch(`${nginx.url}/healthz`);
      expect({ status: response.status, body: await response.text() }).toEqual({ status: 200, body: 'ok\n' });
    });

    test('when a page path that is no file is asked, then the app’s index.html answers; a file is served as itself', async () => {
      for (const page of ['/', '/products/42', '/account/orders?page=2']) {
        const response = await fetch(`${nginx.url}${page}`);
        expect({ page, status: response.status, body: await response.text() }).toEqual({ page, status: 200, body: INDEX });
      }
      const asset = await fetch(`${nginx.url}/assets/app-1a2b3c.js`);
      expect({ status: asset.status, body: await asset.text() }).toEqual({ status: 200, body: SCRIPT });
    });

    test('when a page is served, then its Content-Security-Policy allows scripts and everything else from this origin only', async () => {
      const response = await fetch(`${nginx.url}/products/42`);
      const policy = Object.fromEntries(
        (response.headers.get('content-security-policy') ?? '')
          .split(';')
          .map((part) => part.trim().split(/\s+/))
          .filter((words) => words[0])
          .map(([name, ...sources]) => [name, sources]),
      );
      expect(policy).toMatchObject({ 'default-src': ["'self'"], 'script-src': ["'self'"] });
    });

    test('when /graphql is posted to, then the gateway receives it with the browser’s Host, and its answer comes back', async () => {
      toGateway.length = 0;
      // node:http, not fetch: fetch does not let a caller set Host.
      const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${nginx.url}/graphql`, {
          method: 'POST',
          headers: { host: 'shop.example.com', 'content-type': 'application/json' },
        });
        request.on('response', (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode, body }));
        });
        request.on('error', reject);
        request.end('{"query":"{ ok }"}');
      });
      expect(answer).toEqual({ status: 200, body: '{"data":{"ok":true}}' });
      expect(toGateway.map(({ method, url, headers }) => ({ method, url, host: headers.host }))).toEqual([
        { method: 'POST', url: '/graphql', host: 'shop.example.com' },
      ]);
    });

    test('when a WebSocket upgrade is asked on /graphql, then the gateway receives the upgrade and the client gets 101', async () => {
      toGateway.length = 0;
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${nginx.url}/graphql`, {
          headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-protocol': 'graphql-transport-ws' },
        });
        request.on('upgrade', (response, socket) => {
          socket.destroy();
          resolve(response.statusCode!);
        });
        request.on('response', (response) => resolve(response.statusCode!));
        request.on('error', reject);
        request.end();
      });
      expect(status).toBe(101);
      expect(toGateway.map(({ url, upgrade, headers }) => ({ url, upgrade, header: headers.upgrade }))).toEqual([
        { url: '/graphql', upgrade: true, header: 'websocket' },
      ]);
    });
  });
});

describe('.dockerignore', () => {
  test('when the build context is filtered, then local state and secrets stay out and the sources stay in', () => {
    for (const file of [
      '.git/HEAD',
      'node_modules/pg/package.json',
      '.env',
      '.data/users/x',
      'deploy/secrets/jwt_private_key',
      'gateway/test/x.test.ts',
      'clients/web/dist/index.html',
    ]) {
      expect({ file, ignored: ignored(file) }).toEqual({ file, ignored: true });
    }
    for (const file of [
      'package-lock.json',
      'shared/src/errors/index.ts',
      'proto/buf.yaml',
      'supergraph.graphql',
      'rover.yaml',
      'scripts/compose.ts',
      'prisma/users/migrations',
    ]) {
      expect({ file, ignored: ignored(file) }).toEqual({ file, ignored: false });
    }
  });
});
