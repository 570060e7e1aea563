import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../gateway-context';
import { sessionSetCookie, type SessionCookieOptions } from './session-cookie';

/**
 * Writes the session cookie the users subgraph asked for (sign-up, sign-in, refresh: the next
 * refresh token; sign-out or a refused refresh: cleared). The token itself only ever travels
 * in headers between the services and in this cookie; no response body carries it.
 */
export function sessionCookiePlugin(options: SessionCookieOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const session = contextValue.session;
          if (!session?.change) return;
          response.http.headers.set('set-cookie', sessionSetCookie(session.change, session, options));
          // A response that sets a credential is never stored by a cache on the way.
          response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}
