import { badUserInput } from '@fedshop/shared/errors';
import type { Product } from './order';
import { checkTotal } from './order-input';

interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface PricedOrder {
  lines: OrderLine[];
  totalCents: number;
  currency: string;
}

/**
 * Prices an order from the catalog, never from the client: every sku must exist, all items
 * must share one currency, and the total must fit a GraphQL Int.
 */
export function priceOrder(items: { sku: string; quantity: number }[], catalog: Product[]): PricedOrder {
  const bySku = new Map(catalog.map((product) => [product.sku, product]));
  const lines = items.map((item, index) => {
    const product = bySku.get(item.sku);
    if (!product) throw badUserInput(`input.items[${index}].sku`, `Unknown sku "${item.sku}".`, { sku: item.sku });
    return { sku: item.sku, quantity: item.quantity, unitPriceCents: product.priceCents, currency: product.currency };
  });
  const currency = lines[0]!.currency;
  const otherCurrency = lines.find((line) => line.currency !== currency);
  if (otherCurrency) {
    throw badUserInput(
      'input.items',
      `All items of an order must be priced in one currency (${currency} and ${otherCurrency.currency} mixed).`,
    );
  }
  const totalCents = checkTotal(lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0));
  return { lines: lines.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })), totalCents, currency };
}
