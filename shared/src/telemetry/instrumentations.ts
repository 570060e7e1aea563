import { registerInstrumentations, type Instrumentation, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { markInstrumentationsPreloaded } from './instrumentation-preload';

/** The libraries a service may ask to be traced (each service names only the ones it loads). */
export type TracedLibrary = 'grpc' | 'prisma';

/**
 * The official instrumentations, one instance each, for the libraries a service names (HTTP
 * spans are not among them: the services' HTTP server and the gateway's subgraph client write
 * their own, `http-spans.ts`, at a fraction of the instrumentations' cost):
 * - `grpc`: gRPC client and server (`@opentelemetry/instrumentation-grpc`), context carried in the
 *   call metadata; the standard health service's Check/Watch are skipped, and so is the order
 *   feed's long poll (ListOrderEvents, all day long): each event it delivers is traced instead,
 *   as a consumer span continuing the trace of the request that caused it.
 * - `prisma`: SQL (`@prisma/instrumentation`): Prisma 7's client engine with the pg driver adapter
 *   emits `prisma:client:operation` and one `prisma:client:db_query` span per statement.
 *
 * Each instrumentation package is required only when named, so the gateway never loads the
 * gRPC or Prisma ones (nor has them installed). Creating them installs their require hooks:
 * modules loaded afterwards through Node's `require` are patched (`registerServiceInstrumentations`);
 * module loaders that bypass it (jest) are patched explicitly (`installTestTelemetry`).
 */
export type ModuleInstrumentation = Instrumentation & {
  /** The modules it patches and how (public, if experimental, in every instrumentation used here). */
  getModuleDefinitions(): InstrumentationModuleDefinition[];
};

export function createInstrumentations(libraries: readonly TracedLibrary[]): ModuleInstrumentation[] {
  return libraries.map((library): ModuleInstrumentation => {
    switch (library) {
      case 'grpc': {
        const { GrpcInstrumentation } =
          require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
        return new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch', 'ListOrderEvents'] });
      }
      case 'prisma': {
        const { PrismaInstrumentation } = require('@prisma/instrumentation') as typeof import('@prisma/instrumentation');
        return new PrismaInstrumentation();
      }
    }
  });
}

/**
 * Installs the instrumentations of a service process, once. Called by the service's
 * `src/instrumentation.ts`, which its `src/main.ts` imports before anything else: the
 * instrumentations patch `@grpc/grpc-js` and Prisma through require hooks when those are
 * first loaded, and the generated gRPC clients are built from `@grpc/grpc-js` while the service's
 * modules load, so by the first line of the service's code it would be too late. Spans are
 * recorded once the service has parsed its config and `runServiceMain` called `startTelemetry`
 * (until then the instrumentations talk to OpenTelemetry's no-op API).
 */
export function registerServiceInstrumentations(libraries: readonly TracedLibrary[]): void {
  if (markInstrumentationsPreloaded()) registerInstrumentations({ instrumentations: createInstrumentations(libraries) });
}
