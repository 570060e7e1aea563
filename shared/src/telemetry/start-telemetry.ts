import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { outsideRequestScope } from '../context/request-scope';
import { routeExporterHttpImports } from './exporter-http-imports';
import { instrumentationsPreloaded } from './instrumentation-preload';
import { ParentDecidedTracerProvider } from './parent-decided-tracer';
import type { TelemetrySettings, TracesSampler } from './telemetry-config';

/** `deployment.environment.name` (semantic conventions, still incubating: not exported by the stable entry). */
const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

export interface TelemetryOptions {
  /** `service.name` of every span (`gateway`, `users`, `orders`). */
  service: string;
  /** `service.version`. */
  version: string;
  /** `deployment.environment.name` (NODE_ENV). */
  environment: string;
  settings: TelemetrySettings;
  /** OpenTelemetry's own errors (an unreachable collector) are logged here at warn, at most once a minute each. */
  logger: Logger;
  /** More places spans go, besides OTLP (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
  /**
   * Whether the service traces libraries through instrumentations (gRPC, Prisma) that must be
   * installed before its modules load; default true. The gateway has none: its HTTP spans are
   * its own and Apollo Gateway writes the rest.
   */
  instrumentsLibraries?: boolean;
}

export interface Telemetry {
  /** Exports what is still buffered, then stops recording. */
  shutdown(): Promise<void>;
}

/**
 * Prisma spans that start a trace are background polling, not requests: the outbox relay
 * every 250 ms, the loyalty consumer, health probes. Recording them would bury the requests'
 * traces; their children follow them out through the parent-based samplers.
 */
class RequestsOnlySampler implements Sampler {
  constructor(private readonly next: Sampler) {}

  shouldSample(parent: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (name.startsWith('prisma:') && !trace.getSpanContext(parent)) return { decision: SamplingDecision.NOT_RECORD };
    return this.next.shouldSample(parent, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `RequestsOnly{${this.next.toString()}}`;
  }
}

/** The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name, with background work left out. */
export function buildSampler(settings: Pick<TelemetrySettings, 'sampler' | 'samplerRatio'>): Sampler {
  return new RequestsOnlySampler(standardSampler(settings));
}

function standardSampler(settings: Pick<TelemetrySettings, 'sampler' | 'samplerRatio'>): Sampler {
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplerRatio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Whether a span whose parent is not sampled is never recorded under this sampler, so that its
 * tracers can skip the SDK for such spans (parent-decided-tracer.ts). `always_on` and
 * `traceidratio` decide each span anew; `RequestsOnlySampler` only decides spans without a parent.
 */
export function followsUnsampledParent(sampler: TracesSampler): boolean {
  return sampler === 'always_off' || sampler.startsWith('parentbased_');
}

/** `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: the traces signal path is appended, as the specification says. */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing for this process, from the service's parsed config: registers the global
 * tracer provider (HTTP spans of @fedshop/shared/http, spans of the instrumentations the service installed first, of Apollo Gateway
 * and of our own GraphQL operation spans all go to it), W3C trace context propagation and the
 * async-local-storage context manager.
 *
 * Spans are recorded only when they have somewhere to go: with `OTEL_EXPORTER_OTLP_ENDPOINT`
 * they are batched to `<endpoint>/v1/traces` (OTLP/HTTP, protobuf or JSON as
 * `OTEL_EXPORTER_OTLP_PROTOCOL` says) as the sampler decides;
 * without it nothing is recorded or exported, yet every request still gets a trace id and span
 * ids (logs carry them, `traceparent` goes downstream), at the cost of an id generation or two:
 * as in every trace not sampled, its spans all carry the first span's id (parent-decided-tracer.ts).
 *
 * One provider per process: services started in-process by tests get `installTestTelemetry`.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { settings, logger } = options;
  const processors = [...(options.spanProcessors ?? [])];
  if (settings.otlpEndpoint) {
    // Its dynamic imports of node:http would load Node's bundled undici (exporter-http-imports.ts).
    routeExporterHttpImports();
    // Only the exporter asked for is loaded (each brings its own encoder).
    const { OTLPTraceExporter: Exporter } =
      settings.otlpProtocol === 'http/json'
        ? (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'))
        : (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'));
    processors.push(new BatchSpanProcessor(new Exporter({ url: otlpTracesUrl(settings.otlpEndpoint) })));
  }
  const recording = processors.length > 0;
  // The tracer provider alone, not NodeSDK: NodeSDK would also read OTEL_* variables on its own
  // (config is parsed once, telemetry-config.ts) and installs OTLP/gRPC exporters for metrics and
  // logs this platform does not use (metrics are Prometheus', logs are pino's), with @grpc/grpc-js.
  // Spans under a parent not sampled skip the SDK when the sampler would not record them anyway.
  const Provider = followsUnsampledParent(recording ? settings.sampler : 'always_off') ? ParentDecidedTracerProvider : NodeTracerProvider;
  const provider = new Provider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.service,
      [ATTR_SERVICE_VERSION]: options.version,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment,
    }),
    sampler: recording ? buildSampler(settings) : new AlwaysOffSampler(),
    // With nowhere to send spans a provider is still registered, so that requests get trace and
    // span ids for the logs and `traceparent`.
    spanProcessors: recording ? processors : [new NoopSpanProcessor()],
  });
  // Registers the async-local-storage context manager too. Trace context only: W3C baggage from
  // public clients is not something to pass on to subgraphs.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  routeDiagnostics(logger);
  if (settings.otlpEndpoint) {
    if (options.instrumentsLibraries !== false && !instrumentationsPreloaded()) {
      logger.warn(
        'tracing without gRPC and SQL spans: the service did not call registerServiceInstrumentations before loading its modules',
      );
    }
    const { otlpEndpoint, otlpProtocol, sampler, samplerRatio } = settings;
    logger.info({ otlpEndpoint, otlpProtocol, sampler, samplerRatio }, 'exporting traces');
  }
  return {
    async shutdown() {
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'flushing traces failed'));
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}

/**
 * Reported at error level by @opentelemetry/resources 1.x for a harmless race: Apollo Gateway's
 * own usage-reporting meter provider triggers it at every start.
 */
const BENIGN_DIAGNOSTICS = new Set(['Accessing resource attributes before async attributes settled']);

/**
 * OpenTelemetry reports failed exports through `diag.error`: to the service's log, throttled
 * per message, outside the request whose span happened to start the export timer. Its
 * warnings stay out (libraries' own metric providers are chatty there).
 */
function routeDiagnostics(logger: Logger): void {
  const lastLogged = new Map<string, number>();
  const error = (message: string) => {
    if (BENIGN_DIAGNOSTICS.has(message)) return;
    const now = Date.now();
    if (now - (lastLogged.get(message) ?? 0) < 60_000) return;
    lastLogged.set(message, now);
    // Errors arrive serialized: `{"message":…,"stack":…}`.
    let err: { message?: string } | undefined;
    try {
      err = JSON.parse(message) as { message?: string };
    } catch {
      err = undefined;
    }
    context.with(ROOT_CONTEXT, () =>
      outsideRequestScope(() => logger.warn(err ? { err } : {}, `opentelemetry: ${err?.message ?? message}`)),
    );
  };
  const ignore = () => undefined;
  diag.setLogger(
    { error, warn: ignore, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
  );
}
