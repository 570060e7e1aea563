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
  // Resolver maps are structurally typed by @apollo/subgraph; ours are checked where they are written.
  const schema = buildSubgraphSchema({ typeDefs, resolvers: ordersResolvers as never });
  return applyMiddleware(schema, ordersPermissions);
}
