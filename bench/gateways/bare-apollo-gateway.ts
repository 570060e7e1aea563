/**
 * Gateway (b) of `npm run bench`: a bare `@apollo/gateway` on `@apollo/server` with
 * `startStandaloneServer` and no plugins, options or caches of ours: the baseline our
 * gateway's auth, limits and telemetry are measured against. It only forwards the
 * Authorization header (the subgraphs verify the token themselves) and routes to the
 * running subgraphs. Run as its own process, compiled like ours: `node bench/dist/gateways/bare-apollo-gateway.js`
 * with PORT, SUPERGRAPH_PATH, USERS_URL and ORDERS_URL set.
 */
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { readPeerGatewayEnv } from './peer-gateway-env';

interface BareContext {
  authorization?: string;
}

async function main(): Promise<void> {
  const env = readPeerGatewayEnv();
  const gateway = new ApolloGateway({
    supergraphSdl: env.supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<BareContext>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  // @apollo/gateway implements server-gateway-interface 1, Apollo Server 5 declares 2: same shape.
  // Stopped by its own handler rather than Apollo's (which re-raises the signal): a process
  // ended by a signal never writes the CPU profile `npm run bench -- --profile` asks for.
  const server = new ApolloServer<BareContext>({ gateway: gateway, stopOnTerminationSignals: false });
  const { url } = await startStandaloneServer(server, {
    listen: { host: env.host, port: env.port },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      void server.stop().finally(() => process.exit(0));
    });
  console.log(`bare Apollo Gateway ready at ${url}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
