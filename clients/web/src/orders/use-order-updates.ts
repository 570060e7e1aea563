import { useQuery } from '@apollo/client/react';
import { MyOrdersDocument } from '../graphql/generated/graphql';

/** How often the orders on screen are read again. */
export const ORDER_POLL_MS = 2_000;

/**
 * The signed-in account's latest orders, their status kept current while on screen: an admin
 * shipping one shows here without a reload. Polling for now. Once the gateway serves the
 * `orderStatusChanged` subscription (graphql-ws on /graphql), this hook is the one place to
 * change: `subscribeToMore` with that subscription (updating the order in the cache by id)
 * instead of `pollInterval`, and a GraphQLWsLink for subscriptions in apollo-client.ts. The
 * pages use only what this returns.
 */
export function useMyOrdersLive(first = 20) {
  return useQuery(MyOrdersDocument, { variables: { first }, pollInterval: ORDER_POLL_MS, fetchPolicy: 'cache-and-network' });
}
