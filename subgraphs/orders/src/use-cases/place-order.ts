import type { Viewer } from '@fedshop/shared/auth';
import { AppError, conflict, forbidden, serviceUnavailable } from '@fedshop/shared/errors';
import { draftOrder, type OrderWithItems } from '../domain/order';
import { checkPlaceOrderInput, type PlaceOrderInput } from '../domain/order-input';
import { priceOrder } from '../domain/pricing';
import type { OrdersDependencies } from './dependencies';

/** A price changing between reading the catalog and writing the order is retried this often. */
const MAX_PRICING_ATTEMPTS = 3;

/**
 * Places an order for the signed-in user:
 * 1. the input is checked (nothing written on a bad one);
 * 2. the users service confirms over gRPC that the account exists and is ACTIVE;
 * 3. an order already placed with this idempotency key is the answer;
 * 4. the items are priced from the catalog (never from the client);
 * 5. one repository call writes the order, takes the stock and records the event, only if
 *    the stock suffices and the prices just read still hold. If a price moved meanwhile,
 *    nothing was written and the order is priced again; if stock ran out, CONFLICT.
 */
export async function placeOrder(deps: OrdersDependencies, viewer: Viewer, input: PlaceOrderInput): Promise<OrderWithItems> {
  const { idempotencyKey, items } = checkPlaceOrderInput(input);
  await ensureAccountMayOrder(deps, viewer);

  const earlier = await deps.orders.findByIdempotencyKey(viewer.id, idempotencyKey);
  if (earlier) return earlier;

  const skus = items.map((item) => item.sku);
  for (let attempt = 1; attempt <= MAX_PRICING_ATTEMPTS; attempt++) {
    const priced = priceOrder(items, await deps.products.findBySkus(skus));
    const order = draftOrder(viewer.id, priced, new Date());
    const outcome = await deps.orders.placeIfStockAndPricesHold(order, idempotencyKey);
    if (outcome.placed) {
      deps.logger.info({ orderId: order.id, totalCents: order.totalCents }, 'order placed');
      deps.outboxWritten?.();
      return order;
    }
    // Nothing was written. A request with the same key got there first (its order answers,
    // even if it took the last of the stock), or the stock or a price did not hold.
    const first = await deps.orders.findByIdempotencyKey(viewer.id, idempotencyKey);
    if (first) return first;
    if (outcome.shortSku) throw conflict(`Not enough stock for "${outcome.shortSku}".`, { sku: outcome.shortSku });
  }
  throw serviceUnavailable('The catalog changed while the order was being placed; nothing was written, try again.');
}

async function ensureAccountMayOrder(deps: OrdersDependencies, viewer: Viewer): Promise<void> {
  let status: string;
  try {
    status = (await deps.users.getUser(viewer.id)).status;
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw forbidden('This account cannot place orders.');
    throw error;
  }
  if (status === 'SUSPENDED') throw forbidden('This account is suspended and cannot place orders.');
  if (status !== 'ACTIVE') throw forbidden('This account cannot place orders.');
}
