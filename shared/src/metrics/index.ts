/** Prometheus metrics (prom-client): a registry per service, GraphQL and gRPC families. */
export * from './metrics';
export * from './bounded-label';
export * from './graphql-metrics';
export * from './grpc-metrics';
