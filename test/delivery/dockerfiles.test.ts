/**
 * Delivery: one Dockerfile per service, read statically (no Docker engine on these machines):
 * multi-stage on a Node LTS slim base, generated code rebuilt and everything compiled in the build
 * stage, only that workspace's production dependencies, compiled JavaScript run by plain node,
 * non-root, a HEALTHCHECK on /healthz, the service's real ports, and nothing copied that the
 * build context (.dockerignore) leaves out. production-dependencies.test.ts installs and runs
 * what these files describe.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { copyArguments, execForm, parseDockerfile, type Dockerfile, type Stage } from './support/dockerfile';
import { REPO_ROOT, SERVICES } from './support/services';

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
    const runs = args(build!, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toContain('npm run proto');
    if (candidate.name !== 'gateway') expect(runs).toContain('npm run prisma:generate');
    else expect(runs).toContain('npm run compose -- --check');
    expect(runs).toContain('npm run build');
  });

  test('when dependencies are installed for the runtime, then the manifests are narrowed to this workspace and installed without dev tools', () => {
    const deps = dockerfile.stages.find((stage) => stage.name === 'deps')!;
    const install = args(deps, 'RUN').join('\n');
    expect(install).toContain(`node scripts/narrow-to-workspace.cjs ${candidate.workspace}`);
    expect(install).toMatch(/npm install --omit=dev\b/);
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
    const env = args(runtime, 'ENV').join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(new RegExp(`PORT=${candidate.httpPort}\\b`));
    const exposed = args(runtime, 'EXPOSE')
      .flatMap((line) => line.split(/\s+/))
      .map(Number);
    expect(exposed).toEqual([candidate.httpPort, ...(candidate.grpcPort ? [candidate.grpcPort] : [])]);
    if (candidate.grpcPort) expect(env).toMatch(new RegExp(`GRPC_PORT=${candidate.grpcPort}\\b`));
  });

  test('when the health check and command are read, then Docker probes /healthz with node and runs the compiled entry with plain node', () => {
    const [healthcheck] = args(runtime, 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const probe = execForm(healthcheck!.replace(/^(--\S+\s+)*CMD\s+/, ''));
    expect(probe?.slice(0, 2)).toEqual(['node', '-e']);
    expect(probe?.[2]).toContain(`process.env.PORT||${candidate.httpPort}`);
    expect(probe?.[2]).toContain('/healthz');
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
  const nginx = readFileSync(path.join(REPO_ROOT, 'clients/web/nginx/nginx.conf'), 'utf8');

  test('when the stages are read, then the app is built on Node 24 slim and served by unprivileged nginx, with nothing else', () => {
    expect(dockerfile.stages.map((stage) => [stage.name, stage.image])).toEqual([
      ['build', expect.stringMatching(/^node:24(\.\d+)*-(bookworm-)?slim$/)],
      ['runtime', expect.stringMatching(/^nginxinc\/nginx-unprivileged:[\d.]+-alpine$/)],
    ]);
    expect(args(runtime!, 'RUN')).toEqual([]);
  });

  test('when the build stage runs, then it installs from the lockfile, checks the manifest against the app and builds', () => {
    const runs = args(build!, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toContain('npm run persisted-queries -- --check');
    expect(runs).toContain('npm run build -w clients/web');
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
    expect(args(runtime!, 'HEALTHCHECK').join(' ')).toContain('http://127.0.0.1:8080/healthz');
  });

  test('when nginx.conf is read, then it serves the image’s files on 8080, every page path as the app, and /graphql from the gateway', () => {
    expect(nginx).toMatch(/^\s*listen 8080;/m);
    expect(nginx).toMatch(/^\s*root \/usr\/share\/nginx\/html;/m);
    expect(nginx).toMatch(/location \/ \{[^}]*try_files \$uri \/index\.html;/);
    expect(nginx).toMatch(/location = \/healthz \{[^}]*return 200/);
    // The gateway's Service and compose name, on its port; Host kept so the gateway sees the browser's origin.
    expect(nginx).toMatch(new RegExp(`proxy_pass http://gateway:${SERVICES[0]!.httpPort};`));
    expect(nginx).toContain('proxy_set_header Host $http_host;');
    expect(nginx).toContain('proxy_set_header Upgrade $http_upgrade;');
    // Only /tmp is written: the root file system is read-only in compose and Kubernetes.
    for (const match of nginx.matchAll(/^\s*(pid|\w+_temp_path) (\S+);/gm)) expect(match[2]).toMatch(/^\/tmp\//);
    expect(nginx).toContain("Content-Security-Policy \"default-src 'self'; script-src 'self'");
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
