import { randomBytes } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { startTelemetry, type Telemetry } from './start-telemetry';
import type { TracesSampler } from './telemetry-config';

/**
 * Spans whose parent is not sampled skip the SDK (parent-decided-tracer.ts): the telemetry a
 * service starts, with a real SDK tracer provider, its sampler as configured, and a span
 * processor that sees every span the SDK records.
 */

/** Every span the SDK started for recording, in order. */
class StartedSpans implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(span: Span): void {
    this.spans.push(span);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let telemetry: Telemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

/** Starts tracing as a service does; `recording: false` is a service without an OTLP endpoint. */
function start(sampler: TracesSampler, samplerRatio: number, recording = true): { tracer: Tracer; started: StartedSpans } {
  const started = new StartedSpans();
  telemetry = startTelemetry({
    service: 'test',
    version: 'test',
    environment: 'test',
    settings: { otlpProtocol: 'http/protobuf', sampler, samplerRatio },
    logger: pino({ level: 'silent' }),
    spanProcessors: recording ? [started] : [],
  });
  return { tracer: trace.getTracer('test'), started };
}

/** A caller's `traceparent`, as a server extracts it. */
function remoteParent(sampled: boolean): Context {
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${sampled ? '01' : '00'}`;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * What a request does under `parent`, the way Apollo Gateway and our transports do it: nested
 * active spans, options and attributes, a plain child span, an explicit parent context; returns
 * the span context active at each level and the `traceparent` sent downstream from the innermost.
 */
function request(tracer: Tracer, parent: Context) {
  const server = tracer.startSpan('POST /graphql', {}, parent);
  const seen: string[] = [];
  const traceparent = context.with(trace.setSpan(parent, server), () =>
    tracer.startActiveSpan('gateway.request', { attributes: { operation: 'Products' } }, () => {
      seen.push(trace.getActiveSpan()!.spanContext().spanId);
      return tracer.startActiveSpan('gateway.execute', (execute) => {
        seen.push(trace.getActiveSpan()!.spanContext().spanId);
        const client = tracer.startSpan('POST');
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(context.active(), client), carrier);
        client.end();
        // An explicit parent context becomes the callback's active context, whatever was active before.
        context.with(ROOT_CONTEXT, () =>
          tracer.startActiveSpan('detached', {}, trace.setSpan(context.active(), execute), () => {
            seen.push(trace.getActiveSpan()?.spanContext().spanId ?? 'none');
          }),
        );
        execute.end();
        return carrier.traceparent!;
      });
    }),
  );
  server.end();
  return { server: server.spanContext(), seen, traceparent };
}

describe('spans under a parent not sampled', () => {
  test('when a new trace is not sampled (parentbased_traceidratio), then nested spans record nothing and carry the request span ids', () => {
    const { tracer, started } = start('parentbased_traceidratio', 0);
    const { server, seen, traceparent } = request(tracer, ROOT_CONTEXT);

    expect(started.spans).toEqual([]);
    expect(seen).toEqual([server.spanId, server.spanId, server.spanId]);
    expect(traceparent).toBe(`00-${server.traceId}-${server.spanId}-00`);
  });

  test('when a caller sent an unsampled traceparent (parentbased_traceidratio), then the server span carries its ids, as a local span, and nothing is recorded', () => {
    const { tracer, started } = start('parentbased_traceidratio', 1);
    const parent = remoteParent(false);
    const caller = trace.getSpanContext(parent)!;
    const { server, seen } = request(tracer, parent);

    expect(started.spans).toEqual([]);
    expect(server).toEqual({ traceId: caller.traceId, spanId: caller.spanId, traceFlags: TraceFlags.NONE, traceState: undefined });
    expect(seen).toEqual([caller.spanId, caller.spanId, caller.spanId]);
  });

  test('when nothing is exported (no endpoint), then every request still gets its own trace id and span id, shared by its nested spans', () => {
    const { tracer } = start('parentbased_always_on', 1, false);
    const first = request(tracer, ROOT_CONTEXT);
    const second = request(tracer, ROOT_CONTEXT);

    expect(first.server.traceId).not.toBe(second.server.traceId);
    expect(first.seen).toEqual([first.server.spanId, first.server.spanId, first.server.spanId]);
    expect(first.traceparent).toBe(`00-${first.server.traceId}-${first.server.spanId}-00`);
  });

  test('when a span asks to be a root under an unsampled parent, then the sampler decides its new trace', () => {
    const { tracer, started } = start('parentbased_traceidratio', 1);
    const root = tracer.startSpan('subscription delivery', { root: true }, remoteParent(false));
    root.end();

    expect(started.spans).toHaveLength(1);
    expect(started.spans[0]!.parentSpanContext).toBeUndefined();
  });
});

describe('spans of a sampled trace, as without the shortcut', () => {
  /** Each recorded span's parent is the span started just before it (the nesting of `request`), `detached` under `gateway.execute`. */
  function expectRecordedChain(spans: ReadableSpan[], callerSpanId: string | undefined) {
    expect(spans.map((span) => span.name)).toEqual(['POST /graphql', 'gateway.request', 'gateway.execute', 'POST', 'detached']);
    const [server, request, execute, client, detached] = spans;
    expect(server!.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(request!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(execute!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
    expect(client!.parentSpanContext?.spanId).toBe(execute!.spanContext().spanId);
    expect(detached!.parentSpanContext?.spanId).toBe(execute!.spanContext().spanId);
    expect(new Set(spans.map((span) => span.spanContext().spanId)).size).toBe(spans.length);
  }

  test('when a new trace is sampled (parentbased_traceidratio), then every span is recorded under its parent', () => {
    const { tracer, started } = start('parentbased_traceidratio', 1);
    const { seen, traceparent } = request(tracer, ROOT_CONTEXT);

    expectRecordedChain(started.spans, undefined);
    const [, gatewayRequest, execute, client, detached] = started.spans.map((span) => span.spanContext());
    expect(seen).toEqual([gatewayRequest!.spanId, execute!.spanId, detached!.spanId]);
    expect(traceparent).toBe(`00-${client!.traceId}-${client!.spanId}-01`);
  });

  test('when a caller sent a sampled traceparent (parentbased_traceidratio at 0), then its children are recorded', () => {
    const { tracer, started } = start('parentbased_traceidratio', 0);
    const parent = remoteParent(true);
    request(tracer, parent);

    expectRecordedChain(started.spans, trace.getSpanContext(parent)!.spanId);
  });

  test.each<TracesSampler>(['always_on', 'traceidratio'])(
    'when the sampler ignores the parent (%s), then children of an unsampled caller are recorded as before',
    (sampler) => {
      const { tracer, started } = start(sampler, 1);
      const parent = remoteParent(false);
      request(tracer, parent);

      expectRecordedChain(started.spans, trace.getSpanContext(parent)!.spanId);
    },
  );
});
