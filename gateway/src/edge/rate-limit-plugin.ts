import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../gateway-context';
import { credentialAttempts } from './credential-fields';
import { rateLimitHeaders, type RateLimiter } from './rate-limit';

/**
 * The rate limiting that needs the parsed operation, and the headers:
 * - once the operation is known (before planning), every signIn/signUp field takes a token
 *   from the client address's credential bucket and from its email's (429 when either is
 *   empty: no subgraph is called);
 * - every response carries RateLimit-Limit/Remaining/Reset of the tightest bucket taken from.
 */
export function rateLimitPlugin(rateLimiter: RateLimiter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          if (!operation) return;
          const attempts = credentialAttempts(document, operation, request.variables ?? {});
          if (attempts.length === 0) return;
          const decision = await rateLimiter.checkCredentialAttempts(
            contextValue.clientAddress,
            attempts.map((attempt) => attempt.email),
          );
          if (
            decision &&
            (!contextValue.rateLimit ||
              decision.remaining / decision.limit < contextValue.rateLimit.remaining / contextValue.rateLimit.limit)
          ) {
            contextValue.rateLimit = decision;
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!contextValue.rateLimit) return;
          for (const [name, value] of Object.entries(rateLimitHeaders(contextValue.rateLimit))) {
            if (!response.http.headers.has(name)) response.http.headers.set(name, value);
          }
        },
      };
    },
  };
}
