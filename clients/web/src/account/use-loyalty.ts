import { useQuery, useSubscription } from '@apollo/client/react';
import { MyLoyaltyChangedDocument, MyLoyaltyDocument } from '../graphql/generated/graphql';
import { useResubscribeOnExpiry } from '../app/use-resubscribe';

/**
 * The signed-in account's tier and lifetime spend, kept current while on screen. Loyalty moves
 * a moment after an order (order events, applied by the users service); the
 * `myLoyaltyChanged` subscription brings each change, which Apollo's cache files under the
 * account's id, so the query's result follows by itself.
 */
export function useLoyalty(signedIn: boolean) {
  const live = useSubscription(MyLoyaltyChangedDocument, { skip: !signedIn });
  useResubscribeOnExpiry(live);
  return useQuery(MyLoyaltyDocument, { skip: !signedIn, fetchPolicy: 'cache-and-network' });
}
