/** The platform's one error vocabulary and its mapping to GraphQL responses (gRPC's is in `@fedshop/shared/grpc`). */
export * from './app-error';
export * from './infrastructure-errors';
export * from './graphql-error-formatter';
