/**
 * How the gateway ends WebSocket connections (graphql-transport-ws), one code per reason, the
 * same list as in the README (Subscriptions). Codes 44xx mirror HTTP statuses as graphql-ws's
 * own do (4400 bad message, 4408 no connection_init in time, 4409 duplicate id, 4429 repeated
 * connection_init, 4500 internal error); 49xx are ours; 1012 is the WebSocket standard's
 * "service restart", on which clients (graphql-ws with retries) reconnect, to another replica.
 */
export const CLOSE_CODES = {
  /** The token in `connection_init` is invalid, or the connection's token expired (its subscriptions first end with UNAUTHENTICATED). */
  unauthenticated: 4401,
  /** The client did not read its events fast enough: its buffer was full. Counted in `gateway_subscription_slow_consumers_total`. */
  slowConsumer: 4900,
  /** More WebSocket connections (and SSE streams) from this client address than WS_CONNECTIONS_PER_IP. */
  tooManyConnections: 4929,
  /** The gateway is shutting down (SIGTERM): in-flight events were sent; reconnect (to another replica). */
  serviceRestart: 1012,
} as const;
