/**
 * Apollo Gateway's files require these packages when they load, for features this gateway leaves
 * off; each is loaded at its first use instead, if any (docs/adr/0010-gateway-memory.md):
 * - `@apollo/composition`: composing a supergraph from subgraphs (IntrospectAndCompose,
 *   LocalCompose, the legacy fetcher). This gateway serves a composed supergraph
 *   (supergraph/supergraph-source.ts).
 * - `node-fetch`: the default `RemoteGraphQLDataSource` (this gateway has its own,
 *   upstream/subgraph-data-source.ts, ADR 0001) and federated tracing (ftv1), never asked for.
 * - `@opentelemetry/resources`, `@opentelemetry/sdk-metrics`, `@opentelemetry/exporter-metrics-otlp-http`
 *   and the four cloud resource detectors: Apollo's anonymous usage telemetry, off unless
 *   APOLLO_TELEMETRY_DISABLED=false (config.ts).
 * About 7 MiB of heap (and 300 modules) in a process that never calls them. Importing this module
 * installs the deferral: main.ts does, before anything loads `@apollo/gateway`.
 */
import Module from 'node:module';
import path from 'node:path';

export const DEFERRED_APOLLO_DEPENDENCIES: ReadonlySet<string> = new Set([
  '@apollo/composition',
  'node-fetch',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/resource-detector-alibaba-cloud',
  '@opentelemetry/resource-detector-aws',
  '@opentelemetry/resource-detector-azure',
  '@opentelemetry/resource-detector-gcp',
]);

const APOLLO_GATEWAY_FILES = `${path.sep}node_modules${path.sep}@apollo${path.sep}gateway${path.sep}`;

/**
 * A stand-in for a module's exports that loads the module at the first use of any of them:
 * reading, testing or listing a property (the way compiled TypeScript reads `x_1.name` at call
 * time). The real exports are loaded once and every later use goes to them.
 */
export function deferredModule(load: () => object): object {
  let loaded: object | undefined;
  const exports = () => (loaded ??= load());
  return new Proxy(
    {},
    {
      get: (_target, key) => Reflect.get(exports(), key) as unknown,
      has: (_target, key) => Reflect.has(exports(), key),
      ownKeys: () => Reflect.ownKeys(exports()),
      // The stand-in itself holds nothing: every property it reports must be configurable.
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(exports(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

interface RequiringModule {
  filename?: string;
  require: (this: RequiringModule, id: string) => unknown;
}

let installed = false;

/** Makes `require` of the deferred packages from Apollo Gateway's files return a {@link deferredModule}. Once per process. */
export function deferUnusedApolloDependencies(): void {
  if (installed) return;
  installed = true;
  const prototype = (Module as unknown as { prototype: RequiringModule }).prototype;
  const original = prototype.require;
  prototype.require = function (this: RequiringModule, id: string): unknown {
    if (DEFERRED_APOLLO_DEPENDENCIES.has(id) && this.filename?.includes(APOLLO_GATEWAY_FILES))
      return deferredModule(() => original.call(this, id) as object);
    return original.call(this, id);
  };
}

deferUnusedApolloDependencies();
