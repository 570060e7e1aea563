import type { IncomingMessage } from 'node:http';
import { registerInstrumentations, type Instrumentation, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { markInstrumentationsPreloaded } from './instrumentation-preload';

/** Probe and scrape routes: answered thousands of times a day, never worth a trace. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The libraries a service may ask to be traced (each service names only the ones it loads). */
export type TracedLibrary = 'http' | 'undici' | 'grpc' | 'prisma';

/**
 * The official instrumentations, one instance each, for the libraries a service names:
 * - `http`: HTTP server spans (`@opentelemetry/instrumentation-http`): the W3C `traceparent` of the
 *   caller (a client, or the gateway) is continued; health, readiness and metrics are skipped.
 *   Outgoing `node:http` is not traced: every outgoing HTTP call here goes through fetch/undici.
 * - `undici`: outgoing fetch/undici (`@opentelemetry/instrumentation-undici`): the gateway's
 *   subgraph fetches and JWKS fetches, with `traceparent` injected.
 * - `grpc`: gRPC client and server (`@opentelemetry/instrumentation-grpc`), context carried in the
 *   call metadata; the standard health service's Check/Watch are skipped.
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
      case 'http': {
        const { HttpInstrumentation } =
          require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
        return new HttpInstrumentation({
          disableOutgoingRequestInstrumentation: true,
          ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
        });
      }
      case 'undici': {
        const { UndiciInstrumentation } =
          require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
        return new UndiciInstrumentation();
      }
      case 'grpc': {
        const { GrpcInstrumentation } =
          require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
        return new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] });
      }
      case 'prisma': {
        const { PrismaInstrumentation } = require('@prisma/instrumentation') as typeof import('@prisma/instrumentation');
        return new PrismaInstrumentation() as ModuleInstrumentation;
      }
    }
  });
}

/**
 * Installs the instrumentations of a service process, once. Called by the service's
 * `src/instrumentation.ts`, which its `src/main.ts` imports before anything else: the
 * instrumentations patch `@grpc/grpc-js` and `node:http` through require hooks when those are
 * first loaded, and the generated gRPC clients are built from `@grpc/grpc-js` while the service's
 * modules load, so by the first line of the service's code it would be too late. Spans are
 * recorded once the service has parsed its config and `runServiceMain` called `startTelemetry`
 * (until then the instrumentations talk to OpenTelemetry's no-op API).
 */
export function registerServiceInstrumentations(libraries: readonly TracedLibrary[]): void {
  if (markInstrumentationsPreloaded()) registerInstrumentations({ instrumentations: createInstrumentations(libraries) });
}
