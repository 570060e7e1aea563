import { parsePageRequest, toConnection, type Connection } from '@fedshop/shared/graphql';
import type { Product } from '../domain/order';
import { checkProductInput, isSku, type ProductInput } from '../domain/order-input';
import { productChanged } from '../events/order-events';
import type { OrdersDependencies } from './dependencies';

/** The public catalog, in sku order. */
export async function listProducts(
  deps: OrdersDependencies,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<Product>> {
  const page = parsePageRequest(args, isSku);
  const rows = await deps.products.listPage(page.limit, page.afterKey);
  return toConnection(
    rows,
    page.limit,
    (product) => product.sku,
    () => deps.products.count(),
  );
}

/**
 * Creates or replaces a product (admins only, enforced by the permission layer). The change
 * goes out as a ProductChanged event (outbox), on which every gateway purges cached responses
 * that show the product.
 */
export async function upsertProduct(deps: OrdersDependencies, input: ProductInput): Promise<Product> {
  const checked = checkProductInput(input);
  const product = await deps.products.upsert(checked, productChanged(checked.sku));
  deps.outboxWritten?.();
  deps.logger.info({ sku: product.sku }, 'product saved');
  return product;
}
