/**
 * How a session's refresh token travels between the gateway and the users service (docs/security.md,
 * Sessions). The browser holds it in an HttpOnly cookie that only the gateway reads and
 * writes; between the two services it rides in these headers, never in a GraphQL body, so no
 * response that reaches the browser carries it.
 */

/** Gateway → users: the refresh token of the browser's cookie, sent only with the mutations that use it. */
export const REFRESH_TOKEN_HEADER = 'x-fedshop-refresh-token';

/** Users → gateway: the session's next refresh token, which the gateway turns into the cookie. */
export const SET_REFRESH_TOKEN_HEADER = 'x-fedshop-set-refresh-token';

/**
 * Users → gateway: when that refresh token expires, in Unix seconds. `0` without a token ends
 * the session: the gateway clears the cookie.
 */
export const REFRESH_TOKEN_EXPIRES_HEADER = 'x-fedshop-refresh-token-expires';

/** What the users service tells the gateway to do with the cookie after a request. */
export type SessionCookieChange = { kind: 'set'; token: string; expiresAt: Date } | { kind: 'clear' };
