import { useQuery, useSubscription } from '@apollo/client/react';
import { useEffect } from 'react';
import { MyOrdersDocument, OrderStatusChangedDocument } from '../graphql/generated/graphql';
import { useResubscribeOnExpiry } from '../app/use-resubscribe';

/**
 * The signed-in account's latest orders, their status kept current while on screen: an admin
 * shipping one shows here at once. The `orderStatusChanged` subscription (graphql-ws on
 * /graphql) carries each change; Apollo's cache files it under the order's id, so the list
 * re-renders by itself. An order placed elsewhere (another tab) is not in the list yet: the
 * list is read again then. The pages use only what this returns.
 */
export function useMyOrdersLive(first = 20) {
  const orders = useQuery(MyOrdersDocument, { variables: { first }, fetchPolicy: 'cache-and-network' });
  const live = useSubscription(OrderStatusChangedDocument);
  useResubscribeOnExpiry(live);
  const changed = live.data?.orderStatusChanged;
  const known = orders.data?.me?.orders.edges.some(({ node }) => node.id === changed?.id) ?? true;
  const { refetch } = orders;
  useEffect(() => {
    if (changed && !known) void refetch();
  }, [changed, known, refetch]);
  return orders;
}
