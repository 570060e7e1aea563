import {
  context,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerOptions,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * A tracer provider whose spans skip the SDK when their parent is a span the trace already
 * decided not to record: the child of such a span is the parent's span context again (a
 * non-recording span with the parent's trace and span ids), and `startActiveSpan` runs its
 * callback in the context it was called from, which already holds that span context.
 *
 * The SDK would have run the sampler, generated a span id, made a non-recording span and
 * switched the async context for each of them (Apollo Gateway alone starts about six per
 * request), all to record nothing: with 1 trace in 10 sampled, 9 requests in 10 paid for it.
 * What changes in an unsampled trace is only the span id that log lines and the `traceparent`
 * sent downstream carry: the trace's first span's (the gateway's server span, or the caller's
 * when its `traceparent` was not sampled), in every service, rather than each child's own;
 * nothing of it is recorded either way.
 *
 * Only for samplers that follow the parent's decision when not sampled (the `parentbased_*`
 * ones, `always_off`): a sampler that decides again for every span (`always_on`,
 * `traceidratio`) would record some of these children, so it gets the plain provider.
 */
export class ParentDecidedTracerProvider extends NodeTracerProvider {
  private readonly tracers = new WeakMap<Tracer, Tracer>();

  override getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    // The SDK keeps one tracer per name and version; one wrapper each, too.
    const tracer = super.getTracer(name, version, options);
    let decided = this.tracers.get(tracer);
    if (!decided) {
      decided = new ParentDecidedTracer(tracer);
      this.tracers.set(tracer, decided);
    }
    return decided;
  }
}

/**
 * The span context of the parent in `parent` when that parent is a valid span of a trace not
 * recorded (neither recording nor sampled): its children would not be recorded either.
 */
function unsampledParent(options: SpanOptions | undefined, parent: Context): SpanContext | undefined {
  // A root span starts a trace of its own: the sampler decides it. Suppressed tracing gets the SDK's invalid span.
  if (options?.root || isTracingSuppressed(parent)) return undefined;
  const span = trace.getSpan(parent);
  if (!span || span.isRecording()) return undefined;
  const spanContext = span.spanContext();
  if ((spanContext.traceFlags & TraceFlags.SAMPLED) !== 0 || !trace.isSpanContextValid(spanContext)) return undefined;
  return spanContext;
}

/** A span standing for the unsampled parent's child: same ids, local as a child would be. */
function asChildOf(parent: SpanContext): Span {
  if (!parent.isRemote) return trace.wrapSpanContext(parent);
  const { traceId, spanId, traceFlags, traceState } = parent;
  return trace.wrapSpanContext({ traceId, spanId, traceFlags, traceState });
}

class ParentDecidedTracer implements Tracer {
  constructor(private readonly sdk: Tracer) {}

  startSpan(name: string, options?: SpanOptions, parent: Context = context.active()): Span {
    const unsampled = unsampledParent(options, parent);
    return unsampled ? asChildOf(unsampled) : this.sdk.startSpan(name, options, parent);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, parent: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = args[args.length - 1] as F;
    const options = args.length > 1 ? (args[0] as SpanOptions) : undefined;
    const active = context.active();
    const parent = args.length > 2 ? (args[1] as Context) : active;
    const unsampled = unsampledParent(options, parent);
    if (!unsampled) return (this.sdk.startActiveSpan as (...all: unknown[]) => ReturnType<F>).call(this.sdk, name, ...args);
    const span = asChildOf(unsampled);
    // The active context already carries these ids; a context given explicitly still becomes the callback's.
    if (parent === active) return fn(span) as ReturnType<F>;
    return context.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
