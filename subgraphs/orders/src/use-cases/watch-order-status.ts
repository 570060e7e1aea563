import type { Viewer } from '@fedshop/shared/auth';
import { mapAsyncIterator } from '@fedshop/shared/live-events';
import { EVENT_TRACEPARENT } from '@fedshop/shared/subgraph';
import type { Order } from '../domain/order';
import type { OrderStatusChange } from '../events/order-status-feed';
import type { OrdersDependencies } from './dependencies';
import { getVisibleOrder } from './manage-orders';

/** One event of `orderStatusChanged`: the order as it stood at that change. */
export interface OrderStatusEvent {
  orderStatusChanged: Order;
  [EVENT_TRACEPARENT]?: string;
}

/**
 * Status changes from now on: of one order (its owner or an admin; anyone else gets the same
 * NOT_FOUND as `order(id)`, so ids cannot be probed), or of every order of the viewer's own
 * account. Each event carries the status committed by that change (never a later one read
 * back), the rest of the order as stored.
 */
export async function watchOrderStatus(
  deps: OrdersDependencies,
  viewer: Viewer,
  orderId: string | null,
): Promise<AsyncIterableIterator<OrderStatusEvent>> {
  // Watch first, then check: a change committed while checking is not missed.
  const changes = deps.orderStatusFeed.watch(orderId === null ? { userId: viewer.id } : { orderId });
  try {
    if (orderId !== null) await getVisibleOrder(deps, viewer, orderId);
  } catch (error) {
    await changes.return?.();
    throw error;
  }
  return ordersAsChanged(changes);
}

/** Each change as the order it concerns, with the status that change committed. */
function ordersAsChanged(changes: AsyncIterableIterator<OrderStatusChange>): AsyncIterableIterator<OrderStatusEvent> {
  return mapAsyncIterator(changes, async (change) => {
    const order = await change.order();
    if (!order) return null;
    return { value: { orderStatusChanged: { ...order, status: change.status }, [EVENT_TRACEPARENT]: change.traceparent } };
  });
}
