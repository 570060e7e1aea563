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
