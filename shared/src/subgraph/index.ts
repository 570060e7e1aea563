/** What a subgraph serves with: Apollo Server with its HTTP and gRPC servers, and the graphql-shield rules. */
export * from './serve-subgraph';
export * from './shield-rules';
export * from './subscription-server';
export * from './cache-tags';
