import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@fedshop/shared');

/**
 * The W3C `traceparent` of the active span, for work that leaves the request (an event written
 * to the outbox, published later by the relay): its consumers continue the request's trace.
 * Undefined outside a trace, and before tracing is started.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** What a consumer knows of a delivered event, for its span. */
export interface ConsumedEventInfo {
  subject: string;
  id: string | undefined;
  traceparent: string | undefined;
  redeliveries: number;
}

/**
 * Runs an event handler inside a CONSUMER span (`<subject> process`, the messaging semantic
 * conventions' name), continuing the trace of the request that published the event when it
 * carries a `traceparent`: a placed order's trace then holds the loyalty update it caused, SQL
 * included, and the consumer's log lines carry that trace id. A failed handler marks the span.
 */
export function withConsumedEventSpan<T>(event: ConsumedEventInfo, system: 'nats' | 'outbox-feed', handle: () => Promise<T>): Promise<T> {
  // Only the trace context is taken from the message: nothing else a publisher sent is trusted.
  const parent = event.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: event.traceparent }) : ROOT_CONTEXT;
  const span = tracer.startSpan(
    `${event.subject} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': system,
        'messaging.operation.type': 'process',
        'messaging.destination.name': event.subject,
        ...(event.id ? { 'messaging.message.id': event.id } : {}),
        ...(event.redeliveries > 0 ? { 'fedshop.event.redeliveries': event.redeliveries } : {}),
      },
    },
    parent,
  );
  return context.with(trace.setSpan(parent, span), handle).then(
    (result) => {
      span.end();
      return result;
    },
    (error: unknown) => {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      span.end();
      throw error;
    },
  );
}

/**
 * Runs the delivery of one live event to a subscriber in a span of its own (a new trace),
 * linked to the trace of the write that caused the event when it carries a `traceparent`
 * (the outbox keeps the request's): a subscription lives for hours, so its deliveries are not
 * children of one endless span, and the write's trace shows where each update went.
 */
export function withLinkedEventSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string | number | boolean>,
  run: () => Promise<T>,
): Promise<T> {
  const linked = traceparent ? trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent })) : undefined;
  const span = tracer.startSpan(
    name,
    { kind: SpanKind.CONSUMER, attributes, links: linked ? [{ context: linked }] : [], root: true },
    ROOT_CONTEXT,
  );
  return context.with(trace.setSpan(ROOT_CONTEXT, span), run).then(
    (result) => {
      span.end();
      return result;
    },
    (error: unknown) => {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      span.end();
      throw error;
    },
  );
}
