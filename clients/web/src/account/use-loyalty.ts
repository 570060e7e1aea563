import { useQuery } from '@apollo/client/react';
import { MyLoyaltyDocument } from '../graphql/generated/graphql';

/** How often the tier and lifetime spend are read again while shown. */
export const LOYALTY_POLL_MS = 3_000;

/**
 * The signed-in account's tier and lifetime spend, kept current while on screen. Loyalty moves
 * a moment after an order (order events, applied by the users service), so it is read again
 * every LOYALTY_POLL_MS for now. Once the gateway serves the `myLoyaltyChanged` subscription
 * (graphql-ws on /graphql), this hook is the one place to change: subscribeToMore on the same
 * query instead of `pollInterval` (and a GraphQLWsLink for subscriptions in apollo-client.ts).
 */
export function useLoyalty(signedIn: boolean) {
  return useQuery(MyLoyaltyDocument, { skip: !signedIn, pollInterval: LOYALTY_POLL_MS, fetchPolicy: 'cache-and-network' });
}
