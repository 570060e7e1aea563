/**
 * Delivery: docker-compose.yml (the full local stack) and docker-compose.prod.yml (its production
 * overrides), checked statically: no Docker engine runs on these machines. Every service's
 * variables, ports and health endpoints are compared with what its config loader reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { composeFiles, loadComposeProject, type ComposeProject, type ComposeService } from './support/compose-file';
import { environmentProblems } from './support/deployment-env';
import { packageVersion, PROJECT, REPO_ROOT, SERVICES, service } from './support/services';

const PLATFORM = SERVICES.map((candidate) => candidate.name);
const SUBGRAPHS = ['users', 'orders'] as const;
const STACK_SERVICES = [
  ...PLATFORM,
  'users-db',
  'orders-db',
  'users-migrate',
  'orders-migrate',
  'nats',
  'redis',
  'otel-collector',
  'jaeger',
  'prometheus',
  'grafana',
  'web',
];

const dev = loadComposeProject(composeFiles(REPO_ROOT, 'dev'));
const prod = loadComposeProject(composeFiles(REPO_ROOT, 'prod'));

function dependsOn(definition: ComposeService): Record<string, string> {
  const entries = definition.depends_on ?? {};
  return Array.isArray(entries)
    ? Object.fromEntries(entries.map((name) => [name, 'service_started']))
    : Object.fromEntries(Object.entries(entries).map(([name, value]) => [name, value.condition]));
}

function secretTargets(definition: ComposeService): string[] {
  return (definition.secrets ?? []).map((entry) => (typeof entry === 'string' ? entry : (entry.target ?? entry.source)));
}

function stackProblems(project: ComposeProject): string[] {
  return PLATFORM.flatMap((name) =>
    environmentProblems(name, { values: project.services[name]!.environment, secrets: secretTargets(project.services[name]!) }),
  );
}

describe('docker-compose.yml: the local stack', () => {
  test('when the file is read, then it holds the platform, a database and a migration per subgraph, brokers and observability', () => {
    expect(Object.keys(dev.services).sort()).toEqual([...STACK_SERVICES].sort());
  });

  test('when each service image is named, then it is fedshop/<service>:<version> built from that service’s Dockerfile', () => {
    for (const name of PLATFORM) {
      const definition = dev.services[name]!;
      const version = packageVersion(service(name).workspace);
      expect({ name, image: definition.image, dockerfile: definition.build?.dockerfile, context: definition.build?.context }).toEqual({
        name,
        image: `${PROJECT}/${name}:${version}`,
        dockerfile: `${service(name).workspace}/Dockerfile`,
        context: '.',
      });
      expect(definition.build?.args?.VERSION).toBe(version);
      expect(existsSync(path.join(REPO_ROOT, definition.build!.dockerfile!))).toBe(true);
    }
  });

  test('when every platform service’s environment is checked against its config loader, then nothing is misspelt, missing or invalid', () => {
    expect(stackProblems(dev)).toEqual([]);
  });

  test('when a variable is misspelt, missing or pointed at the wrong port, then the same check names it', () => {
    const broken = structuredClone(dev);
    const users = broken.services.users!.environment;
    users.ORDERS_SERVICE_ADDR = users.ORDER_SERVICE_ADDR!;
    delete users.ORDER_SERVICE_ADDR;
    broken.services.orders!.environment.JWKS_URL = 'http://users:4002/.well-known/jwks.json';
    broken.services.gateway!.environment.PORT = 'http';

    expect(stackProblems(broken)).toEqual([
      'gateway: PORT: Invalid input: expected number, received NaN',
      'gateway: PORT is http, not 4000 (the port every other artifact uses)',
      'users: sets ORDERS_SERVICE_ADDR, which subgraphs/users/src/config.ts does not read',
      'users: ORDER_SERVICE_ADDR is not set',
      'orders: JWKS_URL is http://users:4002/.well-known/jwks.json, expected http://users:4001/.well-known/jwks.json',
    ]);
  });

  test('when the health checks are read, then each service is judged ready by GET /readyz on its own HTTP port', () => {
    for (const name of PLATFORM) {
      const test = dev.services[name]!.healthcheck?.test;
      expect(Array.isArray(test) ? test.join(' ') : test).toContain(`http://127.0.0.1:${service(name).httpPort}/readyz`);
    }
  });

  test('when the start order is read, then databases are healthy and migrations complete before each subgraph, and the gateway waits for both', () => {
    for (const subgraph of SUBGRAPHS) {
      expect(dependsOn(dev.services[`${subgraph}-migrate`]!)).toEqual({ [`${subgraph}-db`]: 'service_healthy' });
      expect(dependsOn(dev.services[subgraph]!)).toMatchObject({
        [`${subgraph}-db`]: 'service_healthy',
        [`${subgraph}-migrate`]: 'service_completed_successfully',
      });
    }
    expect(dependsOn(dev.services.gateway!)).toMatchObject({ users: 'service_healthy', orders: 'service_healthy' });
    for (const [name, definition] of Object.entries(dev.services)) {
      for (const [dependency, condition] of Object.entries(dependsOn(definition))) {
        expect({ name, dependency, exists: dependency in dev.services }).toEqual({ name, dependency, exists: true });
        if (condition === 'service_healthy')
          expect({ dependency, healthcheck: Boolean(dev.services[dependency]!.healthcheck) }).toEqual({ dependency, healthcheck: true });
      }
    }
  });

  test('when the storefront is read, then it is fedshop/web built from its Dockerfile, published on 8080, read-only, after the gateway', () => {
    const web = dev.services.web!;
    const version = packageVersion('clients/web');
    expect({ image: web.image, dockerfile: web.build?.dockerfile, context: web.build?.context, version: web.build?.args?.VERSION }).toEqual(
      {
        image: `${PROJECT}/web:${version}`,
        dockerfile: 'clients/web/Dockerfile',
        context: '.',
        version,
      },
    );
    expect(web.ports).toEqual(['8080:8080']);
    expect(web).toMatchObject({ read_only: true, tmpfs: ['/tmp'] });
    expect(dependsOn(web)).toEqual({ gateway: 'service_healthy' });
    const probe = web.healthcheck?.test;
    expect(Array.isArray(probe) ? probe.join(' ') : probe).toContain('http://127.0.0.1:8080/healthz');
    // nginx.conf passes /graphql to the compose service of that name.
    expect(readFileSync(path.join(REPO_ROOT, 'clients/web/nginx/nginx.conf'), 'utf8')).toContain(
      `proxy_pass http://gateway:${service('gateway').httpPort};`,
    );
  });

  test('when the migration containers are read, then each runs its subgraph’s migrations from that image against that database only', () => {
    for (const subgraph of SUBGRAPHS) {
      const migrate = dev.services[`${subgraph}-migrate`]!;
      expect(migrate.image).toBe(dev.services[subgraph]!.image);
      expect(migrate.command).toEqual(['node', 'dist/migrate.js']);
      expect(migrate.environment).toEqual({ DATABASE_URL: dev.services[subgraph]!.environment.DATABASE_URL });
      expect(migrate.restart ?? 'no').toBe('no');
    }
    // One database per subgraph, never shared.
    const users = new URL(dev.services.users!.environment.DATABASE_URL!);
    const orders = new URL(dev.services.orders!.environment.DATABASE_URL!);
    expect([users.host, orders.host]).toEqual(['users-db:5432', 'orders-db:5432']);
  });

  test('when NATS is started, then JetStream is on', () => {
    expect(dev.services.nats!.command).toContain('-js');
  });

  test('when the observability containers mount their configuration, then every file exists and points at the services', () => {
    for (const name of ['otel-collector', 'prometheus', 'grafana']) {
      for (const volume of dev.services[name]!.volumes ?? []) {
        const source = volume.split(':')[0]!;
        expect({ name, source, exists: existsSync(path.join(REPO_ROOT, source)) }).toEqual({ name, source, exists: true });
      }
    }
    const prometheus = parseYaml(readFileSync(path.join(REPO_ROOT, 'deploy/observability/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    for (const candidate of SERVICES) {
      const job = prometheus.scrape_configs.find((entry) => entry.job_name === candidate.name);
      expect({
        name: candidate.name,
        path: job?.metrics_path ?? '/metrics',
        targets: job?.static_configs.flatMap((config) => config.targets),
      }).toEqual({
        name: candidate.name,
        path: '/metrics',
        targets: [`${candidate.name}:${candidate.httpPort}`],
      });
    }
    const collector = parseYaml(readFileSync(path.join(REPO_ROOT, 'deploy/observability/otel-collector/config.yaml'), 'utf8')) as {
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
    };
    expect(collector.service.pipelines.traces!.receivers).toContain('otlp');
    const exporter = collector.service.pipelines.traces!.exporters[0]!;
    expect(collector.exporters[exporter]!.endpoint).toBe('jaeger:4317');

    const datasources = parseYaml(
      readFileSync(path.join(REPO_ROOT, 'deploy/observability/grafana/provisioning/datasources/datasources.yaml'), 'utf8'),
    ) as {
      datasources: Array<{ uid: string }>;
    };
    const uids = new Set(datasources.datasources.map((source) => source.uid));
    const dashboard = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'deploy/observability/grafana/dashboards/fedshop-overview.json'), 'utf8'),
    ) as {
      uid: string;
      panels: Array<{ datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels) expect(uids.has(panel.datasource.uid)).toBe(true);
  });
});

describe('docker-compose.prod.yml: production overrides', () => {
  test('when merged over the local stack, then every platform service runs in production with a valid, complete environment', () => {
    for (const name of PLATFORM) expect({ name, env: prod.services[name]!.environment.NODE_ENV }).toEqual({ name, env: 'production' });
    expect(stackProblems(prod)).toEqual([]);
  });

  test('when ports are listed, then only the gateway and the storefront publish one', () => {
    const published = Object.entries(prod.services)
      .filter(([, definition]) => (definition.ports ?? []).length > 0)
      .map(([name, definition]) => `${name} ${definition.ports!.join(',')}`);

    expect(published.sort()).toEqual([`gateway ${service('gateway').httpPort}:${service('gateway').httpPort}`, 'web 8080:8080']);
  });

  test('when restart policies and limits are read, then long-running services restart and the platform has resource limits', () => {
    for (const [name, definition] of Object.entries(prod.services)) {
      const expected = name.endsWith('-migrate') ? 'no' : 'unless-stopped';
      expect({ name, restart: definition.restart ?? 'no' }).toEqual({ name, restart: expected });
    }
    for (const name of [...PLATFORM, 'users-db', 'orders-db', 'web']) {
      const limits = (prod.services[name]!.deploy as { resources?: { limits?: { cpus?: string; memory?: string } } } | undefined)?.resources
        ?.limits;
      expect({ name, cpus: Boolean(limits?.cpus), memory: Boolean(limits?.memory) }).toEqual({ name, cpus: true, memory: true });
    }
  });

  test('when secrets are read, then each comes from a file make secrets writes, under the exact variable name, never from the file itself', () => {
    const generator = readFileSync(path.join(REPO_ROOT, 'deploy/generate-secrets.sh'), 'utf8');
    for (const [name, definition] of Object.entries(prod.secrets)) {
      const file = (definition as { file?: string }).file;
      expect({ name, file }).toEqual({ name, file: `./deploy/secrets/${name}` });
      expect(generator).toMatch(new RegExp(`^write ${name} `, 'm'));
    }
    for (const [name, definition] of Object.entries(prod.services)) {
      for (const entry of definition.secrets ?? []) {
        const source = typeof entry === 'string' ? entry : entry.source;
        expect({ name, source, defined: source in prod.secrets }).toEqual({ name, source, defined: true });
      }
      // An overridden entrypoint clears the image's CMD: the command must then be explicit, and
      // for a platform service it is the image's own (compiled code, plain node).
      if (definition.entrypoint)
        expect({ name, command: Boolean(definition.command) || definition.image === undefined }).toEqual({ name, command: true });
      if (definition.entrypoint && (name === 'users' || name === 'orders' || name === 'gateway')) {
        expect({ name, command: definition.command }).toEqual({ name, command: ['node', 'dist/main.js'] });
      }
    }
    expect(secretTargets(prod.services.users!)).toEqual(expect.arrayContaining(['DATABASE_URL', 'JWT_PRIVATE_KEY']));
    expect(prod.services['users-db']!.environment).not.toHaveProperty('POSTGRES_PASSWORD');
    expect(prod.services['users-migrate']!.environment).toEqual({});
    expect(secretTargets(prod.services['users-migrate']!)).toEqual(['DATABASE_URL']);
  });

  test('when the secrets entrypoint runs, then it exports each mounted file as the variable named after it and runs the command', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { runIsolated, minimalEnv } = require('./support/process') as typeof import('./support/process');
    const dir = mkdtempSync(path.join(tmpdir(), 'fedshop-secrets-'));
    try {
      writeFileSync(path.join(dir, 'DATABASE_URL'), 'postgres://u:p@db:5432/users\n');
      writeFileSync(path.join(dir, 'JWT_PRIVATE_KEY'), '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
      const [shell, flag, script, name] = prod.services.users!.entrypoint!;
      const result = await runIsolated(
        shell!,
        [
          flag!,
          script!.replaceAll('/run/secrets', dir),
          name!,
          'node',
          '-e',
          'console.log(JSON.stringify([process.env.DATABASE_URL, process.env.JWT_PRIVATE_KEY]))',
        ],
        { cwd: REPO_ROOT, env: minimalEnv() },
      );
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual([
        'postgres://u:p@db:5432/users',
        '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
