/** Tracing helpers: telemetry settings, GraphQL operation spans, event trace context (the SDK starts in `runServiceMain`). */
export * from './telemetry-config';
export * from './graphql-operation-span';
export * from './event-trace-context';
export * from './graphql-telemetry-plugin';
export * from './http-spans';
