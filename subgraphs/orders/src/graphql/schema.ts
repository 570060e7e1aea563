import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { ordersPermissions } from './permissions';
import { ordersResolvers } from './resolvers';

/** The committed SDL is the subgraph's contract: the running schema is built from it. */
const ORDERS_SDL_PATH = path.resolve(__dirname, '../../schema.graphql');

export function buildOrdersSchema(): GraphQLSchema {
  const typeDefs = parse(readFileSync(ORDERS_SDL_PATH, 'utf8'));
  // A schema module (unlike the legacy {typeDefs, resolvers} form) takes resolvers of any context
  // type: ours are typed with this service's context where they are written.
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: ordersResolvers }]);
  return applyMiddleware(schema, ordersPermissions);
}
