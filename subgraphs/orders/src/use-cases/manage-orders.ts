import { isAdmin, type Viewer } from '@fedshop/shared/auth';
import { conflict, notFound } from '@fedshop/shared/errors';
import type { Order } from '../domain/order';
import { isUuid } from '../domain/order-input';
import { OrderStatusError } from '../domain/order-errors';
import type { OrdersDependencies } from './dependencies';

const NO_SUCH_ORDER = 'No such order.';

/**
 * The order, if the viewer may see it (its owner or an admin). Anyone else gets the same
 * NOT_FOUND as for an order that does not exist, so order ids cannot be probed.
 */
export async function getVisibleOrder(deps: OrdersDependencies, viewer: Viewer, id: string): Promise<Order> {
  const order = isUuid(id) ? await deps.orders.findById(id) : null;
  if (!order || (order.userId !== viewer.id && !isAdmin(viewer))) throw notFound(NO_SUCH_ORDER);
  return order;
}

/** Cancels a CONFIRMED order (owner or admin) and puts its stock back, exactly once. */
export async function cancelOrder(deps: OrdersDependencies, viewer: Viewer, id: string): Promise<Order> {
  await getVisibleOrder(deps, viewer, id);
  try {
    const order = await deps.orders.cancel(id);
    deps.logger.info({ orderId: id }, 'order cancelled');
    deps.outboxWritten?.();
    return order;
  } catch (error) {
    if (error instanceof OrderStatusError) {
      throw conflict(`Only CONFIRMED orders can be cancelled; this one is ${error.status}.`, { status: error.status });
    }
    throw error;
  }
}

/** Ships a CONFIRMED order (admins only, enforced by the permission layer). */
export async function shipOrder(deps: OrdersDependencies, id: string): Promise<Order> {
  if (!isUuid(id) || !(await deps.orders.findById(id))) throw notFound(NO_SUCH_ORDER);
  try {
    const order = await deps.orders.ship(id);
    deps.outboxWritten?.();
    return order;
  } catch (error) {
    if (error instanceof OrderStatusError) {
      throw conflict(`Only CONFIRMED orders can be shipped; this one is ${error.status}.`, { status: error.status });
    }
    throw error;
  }
}

/** How many CONFIRMED orders the user has (asked by the users service before deleting an account). */
export function countOpenOrders(deps: OrdersDependencies, userId: string): Promise<number> {
  return isUuid(userId) ? deps.orders.countOpen(userId) : Promise.resolve(0);
}
