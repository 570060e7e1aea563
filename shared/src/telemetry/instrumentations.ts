import type { IncomingMessage } from 'node:http';
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { PrismaInstrumentation } from '@prisma/instrumentation';

/** Probe and scrape routes: answered thousands of times a day, never worth a trace. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The official instrumentations every service runs, one instance each:
 * - HTTP server spans (`@opentelemetry/instrumentation-http`): the W3C `traceparent` of the
 *   caller (a client, or the gateway) is continued; health, readiness and metrics are skipped.
 *   Outgoing `node:http` is not traced: every outgoing HTTP call here goes through fetch/undici.
 * - Outgoing fetch/undici (`@opentelemetry/instrumentation-undici`): the gateway's subgraph
 *   fetches and JWKS fetches, with `traceparent` injected.
 * - gRPC client and server (`@opentelemetry/instrumentation-grpc`), context carried in the
 *   call metadata; the standard health service's Check/Watch are skipped.
 * - SQL (`@prisma/instrumentation`): Prisma 7's client engine with the pg driver adapter emits
 *   `prisma:client:operation` and one `prisma:client:db_query` span per statement.
 *
 * Creating them installs their require hooks: modules loaded afterwards through Node's
 * `require` are patched (`register.ts`); module loaders that bypass it (jest) are patched
 * explicitly (`installTestTelemetry`).
 */
export type ModuleInstrumentation = Instrumentation & {
  /** The modules it patches and how (public, if experimental, in every instrumentation used here). */
  getModuleDefinitions(): InstrumentationModuleDefinition[];
};

export function createInstrumentations(): ModuleInstrumentation[] {
  return [
    new HttpInstrumentation({
      disableOutgoingRequestInstrumentation: true,
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
    }),
    new UndiciInstrumentation(),
    new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
    new PrismaInstrumentation(),
  ];
}
