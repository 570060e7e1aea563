import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../gateway-context';

/**
 * A subscription sent as a plain HTTP request (JSON) is answered with where to send it,
 * 400 BAD_REQUEST, before planning: Apollo Gateway cannot execute subscriptions, and would
 * fail with an internal error.
 */
export function subscriptionsElsewherePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(
            'Subscriptions are served over WebSocket (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream) at this path.',
            { extensions: { code: 'BAD_REQUEST', http: { status: 400, headers: new HeaderMap() } } },
          );
        },
      };
    },
  };
}
