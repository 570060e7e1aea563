import type { ApolloServerPlugin } from '@apollo/server';
import { REFRESH_TOKEN_EXPIRES_HEADER, SET_REFRESH_TOKEN_HEADER } from '@fedshop/shared/auth';
import type { UsersContext } from './context';

/**
 * Hands a session's next refresh token (or the end of the session) to the gateway in response
 * headers, never in the GraphQL body: the gateway turns them into its HttpOnly cookie and does
 * not pass subgraph headers on, so the token never reaches a browser's JavaScript.
 */
export function sessionHeadersPlugin(): ApolloServerPlugin<UsersContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const change = contextValue.sessionCookie;
          if (!change) return;
          if (change.kind === 'set') {
            response.http.headers.set(SET_REFRESH_TOKEN_HEADER, change.token);
            response.http.headers.set(REFRESH_TOKEN_EXPIRES_HEADER, String(Math.floor(change.expiresAt.getTime() / 1000)));
          } else {
            response.http.headers.set(REFRESH_TOKEN_EXPIRES_HEADER, '0');
          }
        },
      };
    },
  };
}
