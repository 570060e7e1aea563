import type { Viewer } from '@fedshop/shared/auth';
import { AppError, conflict, forbidden } from '@fedshop/shared/errors';
import type { OrderWithItems } from '../domain/order';
import { checkPlaceOrderInput, type PlaceOrderInput } from '../domain/order-input';
import { priceOrder } from '../domain/pricing';
import { InsufficientStockError } from '../repositories/order-repository';
import type { OrdersDependencies } from './dependencies';

/**
 * Places an order for the signed-in user:
 * 1. the input is checked (nothing written on a bad one);
 * 2. the users service confirms over gRPC that the account exists and is ACTIVE;
 * 3. the items are priced from the catalog, then one statement takes the stock with a guard
 *    and writes the order and its event; the same idempotency key returns the first order
 *    instead.
 */
export async function placeOrder(
  deps: OrdersDependencies,
  viewer: Viewer,
  input: PlaceOrderInput,
  requestId?: string,
): Promise<OrderWithItems> {
  const checked = checkPlaceOrderInput(input);
  await ensureAccountMayOrder(deps, viewer, requestId);
  try {
    const { order, created } = await deps.orders.placeOrder(
      { userId: viewer.id, idempotencyKey: checked.idempotencyKey, items: checked.items },
      (catalog) => priceOrder(checked.items, catalog),
    );
    if (created) {
      deps.logger.info({ orderId: order.id, totalCents: order.totalCents }, 'order placed');
      deps.outboxWritten?.();
    }
    return order;
  } catch (error) {
    if (error instanceof InsufficientStockError) {
      throw conflict(`Not enough stock for "${error.sku}".`, { sku: error.sku });
    }
    throw error;
  }
}

async function ensureAccountMayOrder(deps: OrdersDependencies, viewer: Viewer, requestId?: string): Promise<void> {
  let status: string;
  try {
    status = (await deps.users.getUser(viewer.id, requestId)).status;
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw forbidden('This account cannot place orders.');
    throw error;
  }
  if (status === 'SUSPENDED') throw forbidden('This account is suspended and cannot place orders.');
  if (status !== 'ACTIVE') throw forbidden('This account cannot place orders.');
}
