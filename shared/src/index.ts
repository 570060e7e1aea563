/**
 * @fedshop/shared: what every service of the platform uses the same way.
 * Config parsing, logging, the error vocabulary and its transport mappings, auth,
 * gRPC and HTTP plumbing, database bootstrap and migrations, GraphQL helpers, metrics and
 * tracing (the instrumentations' preload is `@fedshop/shared/telemetry/register`).
 */
export * from './errors/app-error';
export * from './domain/ids';
export * from './domain/display-text';
export * from './context/request-scope';
export * from './errors/graphql-error-formatter';
export * from './errors/grpc-status';
export * from './errors/infrastructure-errors';
export * from './config/parse-env';
export * from './config/common-env';
export * from './logging/logger';
export * from './auth/viewer';
export * from './auth/token-verifier';
export * from './auth/session-headers';
export * from './grpc/grpc-server';
export * from './grpc/grpc-client';
export * from './grpc/resilient-caller';
export * from './http/http-server';
export * from './http/health-routes';
export * from './database/embedded-postgres';
export * from './database/migrations';
export * from './database/database';
export * from './graphql/pagination';
export * from './graphql/date-time-scalar';
export * from './graphql/shield-rules';
export * from './graphql/request-viewer';
export * from './graphql/compact-result';
export * from './metrics/metrics';
export * from './metrics/bounded-label';
export * from './metrics/graphql-metrics';
export * from './metrics/grpc-metrics';
export * from './metrics/pool-metrics';
export * from './grpc/grpc-call-metrics';
export * from './telemetry/telemetry-config';
export * from './telemetry/graphql-operation-span';
export * from './telemetry/event-trace-context';
export * from './telemetry/graphql-telemetry-plugin';
export * from './lifecycle/run-service';
export * from './service/serve-subgraph';
export * from './events/event-bus';
export * from './events/in-process-bus';
export * from './events/jetstream-bus';
export * from './events/lazy-bus';
export * from './events/open-event-bus';
export * from './events/orders-stream';
export * as userV1 from './generated/proto/user/v1/user';
export * as orderV1 from './generated/proto/order/v1/order';
export * as orderEventsV1 from './generated/proto/order/v1/events';
