/**
 * Gateway (c) of `npm run bench`: Hive Gateway (the runtime of `@graphql-hive/gateway`,
 * `createGatewayRuntime`) serving the same supergraph on Node's HTTP server, with its
 * defaults but for the Authorization header, which it forwards to the subgraphs (they verify
 * the token), and the landing page, which is off. One default matters for reading the numbers:
 * identical subgraph queries in flight at the same moment share one fetch
 * (`deduplicateInflightRequests`); DEDUPLICATE_INFLIGHT=false turns that off. Subscriptions:
 * clients over SSE (Hive's default), subgraphs over graphql-ws (@graphql-mesh/transport-ws). Run as its own
 * process, compiled like ours: `node bench/dist/gateways/hive-gateway.js` with PORT, SUPERGRAPH_PATH,
 * USERS_URL and ORDERS_URL set.
 */
import { createServer, type RequestListener } from 'node:http';
import { readPeerGatewayEnv } from './peer-gateway-env';

/**
 * The few options used here, typed locally: importing the package's own declarations would let
 * graphql-yoga's global augmentation of graphql's `GraphQLErrorExtensions` (`http.headers` as a
 * plain record) into the whole program, where it clashes with Apollo Server's HeaderMap.
 */
interface HiveGatewayRuntime extends RequestListener {
  dispose(): Promise<void> | void;
}
const { createGatewayRuntime } = require('@graphql-hive/gateway-runtime') as {
  createGatewayRuntime(config: {
    supergraph: string;
    graphqlEndpoint: string;
    landingPage: boolean;
    graphiql: boolean;
    logging: string;
    propagateHeaders: { fromClientToSubgraphs(payload: { request: Request }): Record<string, string | null> };
    transportEntries?: Record<string, { options: Record<string, unknown> }>;
  }): HiveGatewayRuntime;
};

async function main(): Promise<void> {
  const env = readPeerGatewayEnv();
  const gateway = createGatewayRuntime({
    supergraph: env.supergraphSdl,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    logging: 'warn',
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
    },
    transportEntries: {
      '*.http': {
        options: {
          ...(env.deduplicateInflight ? {} : { deduplicateInflightRequests: false }),
          // Subscriptions to the subgraphs over graphql-ws (what they serve), the client's token as
          // connection_init's authorization, as our gateway sends it per subscription.
          subscriptions: {
            kind: 'ws',
            location: '/graphql',
            options: { connectionParams: { authorization: '{context.headers.authorization}' } },
          },
        },
      },
    },
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(env.port, env.host, resolve));
  console.log(`Hive Gateway ready at http://${env.host}:${env.port}/graphql`);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void Promise.resolve(gateway.dispose()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
