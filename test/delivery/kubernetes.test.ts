/**
 * Delivery: deploy/k8s, built the way `kubectl apply -k deploy/k8s/overlays/<dev|prod>` builds it
 * (the kustomize subset in support/kustomize.ts; compared with kubectl's kustomize when kubectl is
 * installed), validated against the Kubernetes OpenAPI schemas (kubernetes-models), and checked
 * against the services: variables, ports, probes, images, migrations, autoscaling, disruption
 * budgets, hardening and who may reach whom.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { environmentProblems } from './support/deployment-env';
import { buildKustomization, type K8sResource } from './support/kustomize';
import { ingressAllowed, workloads, type Source } from './support/network-policy';
import { minimalEnv, runIsolated } from './support/process';
import { packageVersion, REPO_ROOT, SERVICES, type DeliveredService } from './support/services';

const K8S = path.join(REPO_ROOT, 'deploy/k8s');
const OVERLAYS = { dev: 'fedshop-dev', prod: 'fedshop' } as const;
type Overlay = keyof typeof OVERLAYS;

interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean };
}

const builds: Record<Overlay, K8sResource[]> = {
  dev: buildKustomization(path.join(K8S, 'overlays/dev')),
  prod: buildKustomization(path.join(K8S, 'overlays/prod')),
};

function find(resources: K8sResource[], kind: string, name: string): K8sResource {
  const found = resources.find((resource) => resource.kind === kind && resource.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is missing`);
  return found;
}

function podTemplate(resource: K8sResource): { labels: Record<string, string>; spec: PodSpec } {
  const spec = resource.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } };
  return { labels: spec.template.metadata?.labels ?? {}, spec: spec.template.spec };
}

/** A container's environment as the kubelet would assemble it: ConfigMap data, plain values, and which variables come from secrets. */
function containerEnvironment(resources: K8sResource[], container: Container) {
  const values: Record<string, string> = {};
  const secrets: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef)
      Object.assign(values, (find(resources, 'ConfigMap', source.configMapRef.name) as unknown as { data: Record<string, string> }).data);
    if (source.secretRef) throw new Error('envFrom secretRef hides variable names from the checks: use env[].valueFrom');
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) values[variable.name] = variable.value;
    const ref = variable.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const secret = resources.find((resource) => resource.kind === 'Secret' && resource.metadata.name === ref.name) as
      (K8sResource & { stringData?: Record<string, string>; data?: Record<string, string> }) | undefined;
    // A Secret in the build (dev) must hold the key unless it is optional; one created outside (prod) is assumed complete.
    const present = secret ? ref.key in { ...secret.data, ...secret.stringData } : true;
    if (present) secrets.push(variable.name);
    else if (!ref.optional) throw new Error(`${ref.name} has no key ${ref.key}`);
  }
  return { values, secrets };
}

function serviceContainer(resources: K8sResource[], candidate: DeliveredService): Container {
  return podTemplate(find(resources, 'Deployment', candidate.name)).spec.containers.find((container) => container.name === candidate.name)!;
}

function autoscaling(
  resources: K8sResource[],
  name: string,
): {
  minReplicas: number;
  maxReplicas: number;
  metrics: Array<{ type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }>;
} {
  // A manifest read from YAML: its spec is checked field by field by the tests that read it.
  return find(resources, 'HorizontalPodAutoscaler', name).spec as unknown as ReturnType<typeof autoscaling>;
}

/**
 * A PostgreSQL server's default max_connections is 100 (3 reserved for superusers): each
 * subgraph's pods at their autoscaling maximum, plus the one a rollout adds, plus its migration
 * Job, must fit in 90, leaving room for operators. A managed database with a larger limit lets
 * DB_POOL_MAX or maxReplicas grow accordingly (deploy/README.md, Scaling).
 */
const DATABASE_CONNECTION_BUDGET = 90;
/** The config loaders' defaults, where a ConfigMap sets none. */
const DEFAULT_DB_POOL_MAX = 10;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * What bench/scale and test/scale prove about several replicas, as the manifests must say it:
 * surge-first rolling updates; a preStop pause and a grace period covering the drain; one pod
 * disturbed at a time; CPU-based autoscaling (CPU is what saturates: bench/NOTES-issue-17.md);
 * per-replica state shared where it must be (Redis for the gateway, JetStream for events, one
 * signing key for users); database connections within the server's limit at maxReplicas.
 */
function scaleOutProblems(resources: K8sResource[]): string[] {
  const problems: string[] = [];
  for (const candidate of SERVICES) {
    const name = candidate.name;
    const deployment = find(resources, 'Deployment', name).spec as {
      strategy?: { type?: string; rollingUpdate?: { maxSurge?: number; maxUnavailable?: number } };
    };
    const pod = podTemplate(find(resources, 'Deployment', name)).spec as PodSpec & { terminationGracePeriodSeconds?: number };
    const container = serviceContainer(resources, candidate) as Container & { lifecycle?: { preStop?: { exec?: { command?: string[] } } } };
    const { values, secrets } = containerEnvironment(resources, container);
    const hpa = autoscaling(resources, name);
    const pdb = find(resources, 'PodDisruptionBudget', name).spec as { maxUnavailable?: number; minAvailable?: number };
    const rolling = deployment.strategy?.rollingUpdate ?? {};
    const surge = rolling.maxSurge ?? 0;
    if (deployment.strategy?.type !== 'RollingUpdate' || rolling.maxUnavailable !== 0 || surge < 1) {
      problems.push(
        `${name}: a rolling update may take a pod down before its replacement is ready (maxUnavailable ${rolling.maxUnavailable}, maxSurge ${surge})`,
      );
    }
    const preStop = container.lifecycle?.preStop?.exec?.command;
    const pauseSeconds = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    if (!(pauseSeconds >= 1)) problems.push(`${name}: no preStop pause, so a terminating pod drains before load balancers have dropped it`);
    const shutdownSeconds = Number(values.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_TIMEOUT_MS) / 1000;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace < pauseSeconds + shutdownSeconds + 2) {
      problems.push(
        `${name}: terminationGracePeriodSeconds ${grace} leaves no room for preStop ${pauseSeconds} s + SHUTDOWN_TIMEOUT_MS ${shutdownSeconds} s`,
      );
    }
    if (pdb.maxUnavailable !== 1 || pdb.minAvailable !== undefined) {
      problems.push(
        `${name}: the disruption budget lets ${pdb.maxUnavailable ?? `all but ${pdb.minAvailable}`} pods go at once; test/scale disturbs one at a time`,
      );
    }
    const cpu = hpa.metrics.find((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu')?.resource?.target;
    if (hpa.metrics.length !== 1 || cpu?.type !== 'Utilization' || !(cpu.averageUtilization! > 0 && cpu.averageUtilization! <= 80)) {
      problems.push(`${name}: autoscaling should follow CPU utilization (at most 80 %), what saturates first`);
    }
    if (hpa.maxReplicas < 2) continue;
    // From here on: several pods of the service may run at once.
    if (name === 'gateway' && !values.REDIS_URL)
      problems.push('gateway: 2 or more replicas without REDIS_URL keep rate-limit buckets and APQ registrations per pod');
    if (name !== 'gateway' && !values.NATS_URL)
      problems.push(`${name}: 2 or more replicas without NATS_URL keep order events inside each pod`);
    const signingKey = container.env?.find((variable) => variable.name === 'JWT_PRIVATE_KEY')?.valueFrom?.secretKeyRef;
    if (name === 'users' && (!secrets.includes('JWT_PRIVATE_KEY') || signingKey?.optional)) {
      problems.push('users: 2 or more replicas need one signing key from a Secret; without it each pod generates its own');
    }
    if (name !== 'gateway') {
      const pods = hpa.maxReplicas + surge;
      const connections = pods * Number(values.DB_POOL_MAX ?? DEFAULT_DB_POOL_MAX) + 1;
      if (connections > DATABASE_CONNECTION_BUDGET) {
        problems.push(
          `${name}: up to ${pods} pods × DB_POOL_MAX ${values.DB_POOL_MAX ?? DEFAULT_DB_POOL_MAX} + 1 migration = ${connections} connections, over the budget of ${DATABASE_CONNECTION_BUDGET}`,
        );
      }
    }
  }
  return problems;
}

function allWorkloads(resources: K8sResource[]): K8sResource[] {
  return resources.filter((resource) => ['Deployment', 'StatefulSet', 'Job'].includes(resource.kind));
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Objects with keys sorted (kubectl prints keys alphabetically; list order is kept and compared). */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, normalized((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

describe('kustomize overlays', () => {
  test('when dev and prod are built, then each holds the three services with their config, autoscaling, budgets and migration Jobs', () => {
    for (const [overlay, resources] of Object.entries(builds)) {
      for (const candidate of SERVICES) {
        for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
          expect({
            overlay,
            id: `${kind}/${candidate.name}`,
            found: resources.some((r) => r.kind === kind && r.metadata.name === candidate.name),
          }).toEqual({
            overlay,
            id: `${kind}/${candidate.name}`,
            found: true,
          });
        }
        find(resources, 'ConfigMap', `${candidate.name}-config`);
      }
      find(resources, 'Job', 'users-migrate');
      find(resources, 'Job', 'orders-migrate');
    }
  });

  (onPath('kubectl') ? test : test.skip)(
    'when kubectl is installed, then its kustomize builds the same resources as the subset builder',
    () => {
      for (const dir of ['base', 'overlays/dev', 'overlays/prod']) {
        const output = execFileSync('kubectl', ['kustomize', path.join(K8S, dir)], { encoding: 'utf8' });
        const theirs = parseAllDocuments(output).map((document) => document.toJS() as K8sResource);
        const ours = buildKustomization(path.join(K8S, dir));
        const key = (resource: K8sResource) => `${resource.kind}/${resource.metadata.namespace ?? ''}/${resource.metadata.name}`;
        expect(ours.map(key).sort()).toEqual(theirs.map(key).sort());
        const byKey = new Map(theirs.map((resource) => [key(resource), resource]));
        // Compared as canonical JSON: structuredClone'd objects come from another realm than jest's.
        const differing = ours.filter(
          (resource) => JSON.stringify(normalized(resource)) !== JSON.stringify(normalized(byKey.get(key(resource)))),
        );
        expect({ dir, differing: differing.map(key) }).toEqual({ dir, differing: [] });
      }
    },
  );
});

describe('Kubernetes schemas', () => {
  type Results = Array<{ resource: string; errors: string[] }>;
  let valid: Results;
  let broken: Results;
  // One validator process for everything: both overlays, then a resource broken on purpose.
  beforeAll(async () => {
    const resources = [...builds.dev, ...builds.prod];
    const deployment = structuredClone(find(builds.prod, 'Deployment', 'users')) as K8sResource & { spec: { template: { spec: PodSpec } } };
    (deployment.spec.template.spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'http';
    const result = await runIsolated(process.execPath, [path.join(__dirname, 'support/validate-k8s.mjs')], {
      cwd: REPO_ROOT,
      env: minimalEnv(),
      input: JSON.stringify([...resources, deployment]),
    });
    expect(result.stderr).toBe('');
    const results = JSON.parse(result.stdout) as Results;
    valid = results.slice(0, resources.length);
    broken = results.slice(resources.length);
  });

  test('when every resource of both overlays is validated with kubernetes-models, then none has an error', () => {
    expect(valid).toHaveLength(builds.dev.length + builds.prod.length);
    expect(valid.filter((result) => result.errors.length > 0)).toEqual([]);
  });

  test('when a resource breaks the schema, then the validator names the field', () => {
    expect(broken[0]!.errors.join('\n')).toContain('/spec/template/spec/containers/0/ports/0/containerPort');
  });
});

describe.each(Object.keys(OVERLAYS) as Overlay[])('overlay %s', (overlay) => {
  const resources = builds[overlay];
  const namespace = OVERLAYS[overlay];

  test('when namespaces are read, then everything lives in the overlay’s namespace, which enforces the restricted pod security level', () => {
    const outside = resources.filter((resource) => resource.kind !== 'Namespace' && resource.metadata.namespace !== namespace);
    expect(outside.map((resource) => `${resource.kind}/${resource.metadata.name}`)).toEqual([]);
    expect(find(resources, 'Namespace', namespace).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('when each service’s environment is assembled from its ConfigMap and Secrets, then it is exactly what its config loader reads', () => {
    const problems = SERVICES.flatMap((candidate) =>
      environmentProblems(candidate.name, containerEnvironment(resources, serviceContainer(resources, candidate))),
    );
    expect(problems).toEqual([]);
    for (const candidate of SERVICES) {
      const { values } = containerEnvironment(resources, serviceContainer(resources, candidate));
      expect({ service: candidate.name, NODE_ENV: values.NODE_ENV }).toEqual({
        service: candidate.name,
        NODE_ENV: overlay === 'prod' ? 'production' : 'development',
      });
    }
  });

  test('when a ConfigMap key is misspelt, then the same check fails', () => {
    const broken = structuredClone(resources);
    const config = find(broken, 'ConfigMap', 'orders-config') as unknown as { data: Record<string, string> };
    config.data.USER_SERVICE_ADRESS = config.data.USER_SERVICE_ADDR!;
    delete config.data.USER_SERVICE_ADDR;

    const problems = environmentProblems('orders', containerEnvironment(broken, serviceContainer(broken, SERVICES[2]!)));
    expect(problems).toEqual([
      'orders: sets USER_SERVICE_ADRESS, which subgraphs/orders/src/config.ts does not read',
      'orders: USER_SERVICE_ADDR is not set',
    ]);
  });

  test('when ports and probes are read, then each container serves its real ports and is probed on /healthz and /readyz', () => {
    for (const candidate of SERVICES) {
      const container = serviceContainer(resources, candidate);
      const ports = Object.fromEntries((container.ports ?? []).map((port) => [port.name, port.containerPort]));
      expect(ports).toEqual({ http: candidate.httpPort, ...(candidate.grpcPort ? { grpc: candidate.grpcPort } : {}) });
      const resolve = (port: number | string | undefined) => (typeof port === 'string' ? ports[port] : port);
      expect({ path: container.livenessProbe?.httpGet?.path, port: resolve(container.livenessProbe?.httpGet?.port) }).toEqual({
        path: '/healthz',
        port: candidate.httpPort,
      });
      expect({ path: container.readinessProbe?.httpGet?.path, port: resolve(container.readinessProbe?.httpGet?.port) }).toEqual({
        path: '/readyz',
        port: candidate.httpPort,
      });

      const kubeService = find(resources, 'Service', candidate.name).spec as {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: string }>;
      };
      const labels = podTemplate(find(resources, 'Deployment', candidate.name)).labels;
      expect(Object.entries(kubeService.selector).every(([key, value]) => labels[key] === value)).toBe(true);
      expect(kubeService.ports.map((port) => [port.port, ports[port.targetPort]])).toEqual(
        Object.values(ports).map((port) => [port, port]),
      );
    }
  });

  test('when images are read, then each service (and its migration Job) runs fedshop/<service>:<version>', () => {
    for (const candidate of SERVICES) {
      const image = serviceContainer(resources, candidate).image;
      const expected = `fedshop/${candidate.name}:${packageVersion(candidate.workspace)}`;
      expect(overlay === 'dev' ? image : image.replace(/^.*\/(fedshop\/)/, '$1')).toBe(expected);
      if (overlay === 'prod') expect(image).toMatch(/^[a-z0-9.-]+\.[a-z]+\/fedshop\//);
    }
  });

  test('when the migration Jobs are read, then each runs its subgraph’s migrations from the same image with the same database secret', () => {
    for (const name of ['users', 'orders'] as const) {
      const job = find(resources, 'Job', `${name}-migrate`);
      const [container] = podTemplate(job).spec.containers;
      const serviceSpec = serviceContainer(
        resources,
        SERVICES.find((candidate) => candidate.name === name)!,
      );
      expect(container!.image).toBe(serviceSpec.image);
      expect(container!.command).toEqual(['node', 'dist/migrate.js']);
      const database = (spec: Container) => spec.env?.find((variable) => variable.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;
      expect(database(container!)).toEqual(database(serviceSpec));
      expect(database(container!)).toEqual({ name: `${name}-secrets`, key: 'DATABASE_URL' });
      expect(podTemplate(job).spec).toMatchObject({ restartPolicy: 'Never' });
      // The service does not migrate itself: it waits (not ready) until the Job has run.
      expect(containerEnvironment(resources, serviceSpec).values.MIGRATE_ON_START).toBe('false');
    }
  });

  test('when autoscaling and disruption budgets are read, then each service has both, aimed at its own pods', () => {
    for (const candidate of SERVICES) {
      const hpa = find(resources, 'HorizontalPodAutoscaler', candidate.name).spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: candidate.name });
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(1);
      expect(hpa.maxReplicas).toBeGreaterThanOrEqual(hpa.minReplicas);
      // Replicas belong to the autoscaler: a Deployment that sets them would fight it on every apply.
      expect((find(resources, 'Deployment', candidate.name).spec as { replicas?: number }).replicas).toBeUndefined();
      const pdb = find(resources, 'PodDisruptionBudget', candidate.name).spec as { selector: { matchLabels: Record<string, string> } };
      const labels = podTemplate(find(resources, 'Deployment', candidate.name)).labels;
      expect(Object.entries(pdb.selector.matchLabels).every(([key, value]) => labels[key] === value)).toBe(true);
    }
    if (overlay === 'prod') {
      const gateway = find(resources, 'HorizontalPodAutoscaler', 'gateway').spec as { minReplicas: number };
      expect(gateway.minReplicas).toBeGreaterThanOrEqual(2);
    }
  });

  test('when every workload is read, then each container has requests and limits and runs non-root, read-only, without privileges', () => {
    for (const workload of allWorkloads(resources)) {
      const { spec } = podTemplate(workload);
      expect({ workload: workload.metadata.name, runAsNonRoot: spec.securityContext?.runAsNonRoot }).toEqual({
        workload: workload.metadata.name,
        runAsNonRoot: true,
      });
      for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const id = `${workload.metadata.name}/${container.name}`;
        expect({
          id,
          requests: Object.keys(container.resources?.requests ?? {}).sort(),
          limits: Object.keys(container.resources?.limits ?? {}).sort(),
          allowPrivilegeEscalation: container.securityContext?.allowPrivilegeEscalation,
          readOnlyRootFilesystem: container.securityContext?.readOnlyRootFilesystem,
          drop: container.securityContext?.capabilities?.drop,
        }).toEqual({
          id,
          requests: ['cpu', 'memory'],
          limits: ['cpu', 'memory'],
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          drop: ['ALL'],
        });
      }
    }
  });

  test('when Secrets are read, then production commits none and development’s point each subgraph at its own database', () => {
    const secrets = resources.filter((resource) => resource.kind === 'Secret');
    if (overlay === 'prod') {
      expect(secrets).toEqual([]);
      return;
    }
    for (const name of ['users', 'orders']) {
      const url = new URL(
        (find(resources, 'Secret', `${name}-secrets`) as unknown as { stringData: Record<string, string> }).stringData.DATABASE_URL!,
      );
      expect(url.hostname).toBe(`${name}-db`);
      find(resources, 'Service', `${name}-db`);
    }
  });

  test('when the network policies are evaluated, then exactly the designed connections are allowed', () => {
    const pods = workloads(resources);
    const sources: Array<{ name: string; source: Source }> = [
      ...pods.map((pod) => ({ name: pod.name, source: { kind: 'pod', namespace: pod.namespace, labels: pod.labels } as Source })),
      { name: 'intruder', source: { kind: 'pod', namespace, labels: { 'app.kubernetes.io/name': 'intruder' } } },
      { name: 'other-namespace', source: { kind: 'pod', namespace: 'elsewhere', labels: { 'app.kubernetes.io/name': 'gateway' } } },
      { name: 'external', source: { kind: 'external' } },
    ];
    const allowed: string[] = [];
    for (const destination of pods) {
      for (const port of Object.values(destination.namedPorts)) {
        for (const { name, source } of sources) {
          if (name === destination.name) continue;
          if (ingressAllowed(resources, source, destination, port)) allowed.push(`${name} -> ${destination.name}:${port}`);
        }
      }
    }
    const databases =
      overlay === 'dev'
        ? ['users -> users-db:5432', 'users-migrate -> users-db:5432', 'orders -> orders-db:5432', 'orders-migrate -> orders-db:5432']
        : [];
    const everyoneBut = (self: string) => [
      ...pods.map((pod) => pod.name).filter((name) => name !== self),
      'intruder',
      'other-namespace',
      'external',
    ];
    expect(allowed.sort()).toEqual(
      [
        ...everyoneBut('gateway').map((name) => `${name} -> gateway:4000`),
        ...everyoneBut('web').map((name) => `${name} -> web:8080`), // static files, public like the gateway
        'gateway -> users:4001', // GraphQL and the JWKS
        'orders -> users:4001', // the JWKS, to verify tokens
        'orders -> users:50051', // gRPC user.v1.UserService
        'gateway -> orders:4002',
        'users -> orders:50052', // gRPC order.v1.OrderService
        'gateway -> redis:6379',
        'orders -> nats:4222',
        'users -> nats:4222',
        ...databases,
      ].sort(),
    );
  });

  test('when the storefront and the Ingress are read, then / reaches web:8080 and /graphql the gateway, one origin; web runs fedshop/web hardened', () => {
    const ingress = find(resources, 'Ingress', 'shop').spec as {
      tls?: Array<{ hosts: string[] }>;
      rules: Array<{
        host?: string;
        http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string; port: { name: string } } } }> };
      }>;
    };
    expect(ingress.rules).toHaveLength(1);
    const routes = ingress.rules[0]!.http.paths.map(
      (entry) => `${entry.pathType} ${entry.path} -> ${entry.backend.service.name}:${entry.backend.service.port.name}`,
    );
    expect(routes).toEqual(['Exact /graphql -> gateway:http', 'Prefix / -> web:http']);
    if (overlay === 'prod') expect(ingress.tls?.[0]?.hosts).toEqual([ingress.rules[0]!.host]);
    // Each backend port name resolves to the container port its pods serve.
    for (const name of ['gateway', 'web']) {
      const kubeService = find(resources, 'Service', name).spec as { ports: Array<{ name: string; targetPort: string }> };
      const container = podTemplate(find(resources, 'Deployment', name)).spec.containers[0]!;
      expect(kubeService.ports.find((port) => port.name === 'http')?.targetPort).toBe(
        container.ports?.find((port) => port.name === 'http')?.name,
      );
    }
    const web = podTemplate(find(resources, 'Deployment', 'web')).spec.containers[0]!;
    expect(overlay === 'dev' ? web.image : web.image.replace(/^.*\/(fedshop\/)/, '$1')).toBe(
      `fedshop/web:${packageVersion('clients/web')}`,
    );
    expect(web.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(web.readinessProbe?.httpGet?.path).toBe('/healthz');
    find(resources, 'HorizontalPodAutoscaler', 'web');
    find(resources, 'PodDisruptionBudget', 'web');
  });

  test('when scale-out is read, then the manifests run the services the way test/scale proves them correct', () => {
    expect(scaleOutProblems(resources)).toEqual([]);
    if (overlay === 'prod') {
      // test/scale runs two replicas of each and bench/scale three: production never runs fewer than two.
      for (const candidate of SERVICES)
        expect({ service: candidate.name, minReplicas: autoscaling(resources, candidate.name).minReplicas >= 2 }).toEqual({
          service: candidate.name,
          minReplicas: true,
        });
    }
  });

  test('when scale-out assumptions are broken, then the same check names each one', () => {
    const broken = structuredClone(resources);
    (find(broken, 'HorizontalPodAutoscaler', 'orders').spec as { maxReplicas: number }).maxReplicas = 20;
    (
      find(broken, 'Deployment', 'gateway').spec as { strategy: { rollingUpdate: { maxUnavailable: number } } }
    ).strategy.rollingUpdate.maxUnavailable = 1;
    (find(broken, 'PodDisruptionBudget', 'users').spec as { maxUnavailable: number }).maxUnavailable = 2;
    delete (find(broken, 'ConfigMap', 'gateway-config') as unknown as { data: Record<string, string> }).data.REDIS_URL;
    const gateway = podTemplate(find(broken, 'Deployment', 'gateway')).spec as PodSpec & { terminationGracePeriodSeconds: number };
    gateway.terminationGracePeriodSeconds = 12;

    const problems = scaleOutProblems(broken);

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^orders: up to 21 pods × DB_POOL_MAX \d+ \+ 1 migration = \d+ connections, over the budget of 90$/),
        'gateway: a rolling update may take a pod down before its replacement is ready (maxUnavailable 1, maxSurge 1)',
        'users: the disruption budget lets 2 pods go at once; test/scale disturbs one at a time',
        'gateway: 2 or more replicas without REDIS_URL keep rate-limit buckets and APQ registrations per pod',
        'gateway: terminationGracePeriodSeconds 12 leaves no room for preStop 5 s + SHUTDOWN_TIMEOUT_MS 10 s',
      ]),
    );
  });

  test('when the default deny is dropped, then the evaluation notices that anyone may reach the subgraphs', () => {
    const open = resources.filter(
      (resource) => resource.metadata.name !== 'default-deny-ingress' && resource.metadata.name !== 'users-ingress',
    );
    const users = workloads(open).find((pod) => pod.name === 'users')!;

    expect(ingressAllowed(open, { kind: 'pod', namespace, labels: { 'app.kubernetes.io/name': 'intruder' } }, users, 50051)).toBe(true);
    expect(ingressAllowed(resources, { kind: 'pod', namespace, labels: { 'app.kubernetes.io/name': 'intruder' } }, users, 50051)).toBe(
      false,
    );
  });
});
