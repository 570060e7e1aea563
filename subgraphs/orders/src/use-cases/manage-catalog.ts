import { parsePageRequest, toConnection, type Connection } from '@fedshop/shared/graphql';
import type { Product } from '../domain/order';
import { checkProductInput, isSku, type ProductInput } from '../domain/order-input';
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

/** Creates or replaces a product (admins only, enforced by the permission layer). */
export async function upsertProduct(deps: OrdersDependencies, input: ProductInput): Promise<Product> {
  const product = await deps.products.upsert(checkProductInput(input));
  deps.logger.info({ sku: product.sku }, 'product saved');
  return product;
}
