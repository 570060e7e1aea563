import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client';
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { from, mergeMap, throwError } from 'rxjs';
import { RefreshSessionDocument, SignOutDocument } from '../graphql/generated/graphql';
import { SessionStore } from '../session/session-store';
import { createCache } from './apollo-cache';
import { trustedDocumentsLink, type PersistedQueryIds } from './persisted-query-link';

/** Context flags the links share. */
interface LinkContext {
  /** A session call (refresh, sign-out): authenticated by the cookie, never retried by refreshing. */
  session?: boolean;
  /** The request carried an access token (so UNAUTHENTICATED means the session, not the credentials). */
  sentWithToken?: boolean;
  /** Already retried once after a refresh. */
  retriedAfterRefresh?: boolean;
}

function isUnauthenticated(error: unknown): boolean {
  if (CombinedGraphQLErrors.is(error)) return error.errors.some((item) => item.extensions?.code === 'UNAUTHENTICATED');
  return ServerError.is(error) && error.statusCode === 401;
}

export interface AppServices {
  client: ApolloClient;
  session: SessionStore;
}

/**
 * The app's Apollo Client and session, wired together:
 *
 *   retry-after-refresh → access token → trusted documents → HTTP POST /graphql
 *
 * - access token: from memory (session-store.ts), refreshed first when it expires within a minute;
 * - retry-after-refresh: a request sent with a token that comes back UNAUTHENTICATED (the token
 *   expired or was revoked meanwhile) triggers one refresh and is sent once more, with the same
 *   variables (a checkout keeps its idempotency key); if the session cannot be refreshed, the
 *   session ends and the UI asks to sign in again, the cart kept;
 * - trusted documents: ids only in production builds (persisted-query-link.ts);
 * - HTTP: same origin, so the browser attaches the gateway's HttpOnly refresh cookie (path
 *   /graphql) by itself; the app never sees it.
 */
export function createAppServices(options: { persistedQueryIds: PersistedQueryIds | null; uri?: string }): AppServices {
  let client: ApolloClient;
  const session = new SessionStore({
    async refresh() {
      const result = await client.mutate({ mutation: RefreshSessionDocument, context: { session: true } satisfies LinkContext });
      if (!result.data) throw new Error('refreshSession returned no data');
      return result.data.refreshSession;
    },
    async signOut() {
      await client.mutate({ mutation: SignOutDocument, context: { session: true } satisfies LinkContext });
    },
  });

  const retryAfterRefresh = new ErrorLink(({ error, operation, forward }) => {
    const context = operation.getContext() as LinkContext;
    if (context.session || !context.sentWithToken || context.retriedAfterRefresh || !isUnauthenticated(error)) return;
    return from(session.refresh()).pipe(
      mergeMap((refreshed) => {
        if (!refreshed) {
          session.expire();
          return throwError(() => error);
        }
        operation.setContext({ retriedAfterRefresh: true } satisfies LinkContext);
        return forward(operation);
      }),
    );
  });

  const accessToken = new SetContextLink(async (previous) => {
    if ((previous as LinkContext).session) return {};
    const token = await session.currentAccessToken();
    if (!token) return { sentWithToken: false };
    return {
      sentWithToken: true,
      headers: { ...(previous.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` },
    };
  });

  client = new ApolloClient({
    cache: createCache(),
    link: ApolloLink.from([
      retryAfterRefresh,
      accessToken,
      trustedDocumentsLink(options.persistedQueryIds),
      new HttpLink({ uri: options.uri ?? '/graphql', credentials: 'same-origin' }),
    ]),
  });
  return { client, session };
}
