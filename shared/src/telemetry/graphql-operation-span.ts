import { context, createContextKey, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('@fedshop/shared');
const OPERATION_SPAN = createContextKey('fedshop.graphql.operationSpan');

/** The span's name until the operation is resolved (the OpenTelemetry GraphQL conventions' fallback). */
export const UNRESOLVED_OPERATION_SPAN_NAME = 'GraphQL Operation';

/**
 * Runs one GraphQL request inside its own span, a child of the HTTP server span. Everything
 * the request does (Apollo Gateway's validate/plan/execute/fetch spans, resolvers, gRPC, SQL)
 * nests under it; the GraphQL telemetry plugin renames it after the operation
 * (`mutation PlaceOrder`) once resolved. A span rather than a plugin hook alone because Apollo
 * Server's hooks cannot make a span the active context of the phases that follow them.
 */
export function withGraphQLOperationSpan<T>(run: () => Promise<T>): Promise<T> {
  const span = tracer.startSpan(UNRESOLVED_OPERATION_SPAN_NAME);
  const active = trace.setSpan(context.active(), span).setValue(OPERATION_SPAN, span);
  return context.with(active, run).finally(() => span.end());
}

/** The operation span of the GraphQL request being served, if any. */
export function currentOperationSpan(): Span | undefined {
  return context.active().getValue(OPERATION_SPAN) as Span | undefined;
}
