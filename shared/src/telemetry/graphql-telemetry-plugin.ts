import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { SpanStatusCode } from '@opentelemetry/api';
import { setRequestOperation } from '../context/request-scope';
import type { GraphQLMetrics } from '../metrics/graphql-metrics';
import { currentOperationSpan } from './graphql-operation-span';

/**
 * What every service records about each GraphQL operation it serves, once resolved:
 * - the request scope's operation name (so the request's log lines, the request line included, name it);
 * - the operation span's name (`mutation PlaceOrder`, `query` when unnamed) and its
 *   `graphql.operation.name` / `graphql.operation.type` attributes, with an error status when
 *   the response carries errors;
 * - `graphql_server_operation_duration_seconds{operation,type,result}` and
 *   `graphql_server_operation_errors_total{operation,code}`.
 * Requests refused before GraphQL runs (401, 413, 429) are not operations: the HTTP metrics count them.
 */
export function graphqlTelemetryPlugin<TContext extends BaseContext>(metrics: GraphQLMetrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      const span = currentOperationSpan();
      let operation = 'anonymous';
      let type = 'unknown';
      return {
        async didResolveOperation({ operationName, operation: definition }) {
          type = definition?.operation ?? 'unknown';
          operation = operationName ? metrics.operationLabel(operationName) : 'anonymous';
          setRequestOperation(operationName ?? 'anonymous');
          span?.updateName(operationName ? `${type} ${operationName}` : type);
          span?.setAttributes({ 'graphql.operation.type': type, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((error) => {
            const code = error.extensions?.code;
            return metrics.codeLabel(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
          });
          for (const code of codes) metrics.operationErrors.inc({ operation, code });
          metrics.operationDuration.observe(
            { operation, type, result: errors.length > 0 ? 'error' : 'success' },
            (performance.now() - started) / 1000,
          );
          if (errors.length > 0) span?.setStatus({ code: SpanStatusCode.ERROR, message: [...new Set(codes)].join(', ') });
        },
      };
    },
  };
}
