/** The HTTP server every service runs: GraphQL, health and metrics routes, request scope, draining. */
export { startHttpServer, type HttpServerOptions, type RunningHttpServer } from './http-server';
export type { GraphQLEndpoint } from './graphql-endpoint';
export type { RequestInfo, RouteHandler } from './routes';
export { REQUEST_ID_HEADER } from './request-id';
export { sendGraphQLHttpError, sendJson } from './send-json';
export * from './health-routes';
