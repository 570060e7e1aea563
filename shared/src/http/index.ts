/** The HTTP server every service runs: GraphQL, health and metrics routes, request scope, draining. */
export * from './http-server';
export * from './health-routes';
