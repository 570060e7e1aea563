import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { createInstrumentations } from '../telemetry/instrumentations';
import { startTelemetry } from '../telemetry/start-telemetry';

export type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface TestTelemetry {
  /** Every span ended so far, all services of the process together. */
  spans(): ReadableSpan[];
  /** Forgets the spans recorded so far. */
  reset(): void;
  /** Removes the patches and the tracer provider (call in afterAll). */
  shutdown(): Promise<void>;
}

/**
 * Tracing for services started inside a test process: every span is recorded and kept in
 * memory, with the instrumentations a real process installs (`registerServiceInstrumentations`). jest loads
 * modules through its own registry, which the instrumentations' require hooks never see, so
 * their patches are applied here to the modules as jest resolves them.
 *
 * Call it before the services' modules are loaded (load them with `await import(...)` after):
 * the generated gRPC clients are built from `@grpc/grpc-js` as their modules load, and only a
 * patched `@grpc/grpc-js` yields traced clients. One per test file.
 */
export function installTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const instrumentations = createInstrumentations(['grpc', 'prisma']);
  for (const instrumentation of instrumentations) {
    for (const definition of instrumentation.getModuleDefinitions()) {
      if (!definition.patch) continue;
      // This module's require is jest's: the very module objects the services will get.
      const moduleExports: unknown = require(definition.name);
      definition.moduleExports = moduleExports;
      definition.patch(moduleExports);
    }
  }
  const telemetry = startTelemetry({
    service: 'test',
    version: 'test',
    environment: 'test',
    settings: { otlpProtocol: 'http/protobuf', sampler: 'parentbased_always_on', samplerRatio: 1 },
    logger: pino({ level: 'silent' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async shutdown() {
      await telemetry.shutdown();
      // Unpatches what was patched above (node:http is shared by every test file of the worker).
      for (const instrumentation of instrumentations) instrumentation.disable();
    },
  };
}
