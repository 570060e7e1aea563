import { AppError } from '@fedshop/shared/errors';
import type { Product } from './order';
import { priceOrder } from './pricing';

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the order to be refused');
}

const product = (sku: string, priceCents: number, currency = 'USD'): Product => ({
  sku,
  name: `Product ${sku}`,
  priceCents,
  currency,
  stock: 1000,
});

const catalog: Product[] = [product('MUG', 1299), product('TEE', 2500), product('PIN', 0), product('EURO-MUG', 1100, 'EUR')];

describe('priceOrder', () => {
  test('when every sku is in the catalog, then lines carry catalog prices and the total is their sum', () => {
    const priced = priceOrder(
      [
        { sku: 'TEE', quantity: 2 },
        { sku: 'MUG', quantity: 3 },
        { sku: 'PIN', quantity: 5 },
      ],
      catalog,
    );

    expect(priced).toEqual({
      lines: [
        { sku: 'TEE', quantity: 2, unitPriceCents: 2500 },
        { sku: 'MUG', quantity: 3, unitPriceCents: 1299 },
        { sku: 'PIN', quantity: 5, unitPriceCents: 0 },
      ],
      totalCents: 2 * 2500 + 3 * 1299,
      currency: 'USD',
    });
  });

  test('when the client sends its own prices or totals, then they are ignored: only catalog prices count', () => {
    const sneaky = [{ sku: 'TEE', quantity: 2, unitPriceCents: 1, priceCents: 1, totalCents: 1, currency: 'EUR' }];

    const priced = priceOrder(sneaky, catalog);

    expect(priced.lines).toEqual([{ sku: 'TEE', quantity: 2, unitPriceCents: 2500 }]);
    expect(priced.totalCents).toBe(5000);
    expect(priced.currency).toBe('USD');
  });

  test('when a sku is not in the catalog, then it is refused naming the sku and its index', () => {
    const error = refusal(() =>
      priceOrder(
        [
          { sku: 'MUG', quantity: 1 },
          { sku: 'GHOST', quantity: 1 },
        ],
        catalog,
      ),
    );

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details).toEqual({ field: 'input.items[1].sku', sku: 'GHOST' });
    expect(error.message).toBe('Unknown sku "GHOST".');
  });

  test('when a sku differs from the catalog only by case, then it is unknown', () => {
    expect(refusal(() => priceOrder([{ sku: 'mug', quantity: 1 }], catalog)).details).toEqual({ field: 'input.items[0].sku', sku: 'mug' });
  });

  test('when the catalog is empty, then the first item is the unknown one', () => {
    expect(refusal(() => priceOrder([{ sku: 'MUG', quantity: 1 }], [])).details.field).toBe('input.items[0].sku');
  });

  test('when items are priced in different currencies, then the order is refused naming both', () => {
    const error = refusal(() =>
      priceOrder(
        [
          { sku: 'MUG', quantity: 1 },
          { sku: 'EURO-MUG', quantity: 1 },
        ],
        catalog,
      ),
    );

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details.field).toBe('input.items');
    expect(error.message).toContain('USD and EUR');
  });

  test('when every item is in one non-USD currency, then the order is priced in it', () => {
    expect(priceOrder([{ sku: 'EURO-MUG', quantity: 2 }], catalog)).toMatchObject({ totalCents: 2200, currency: 'EUR' });
  });

  test('when the total is exactly 2^31-1 cents, then it is accepted', () => {
    const priced = priceOrder([{ sku: 'BIG', quantity: 1 }], [product('BIG', 2 ** 31 - 1)]);

    expect(priced.totalCents).toBe(2_147_483_647);
  });

  test('when the total would exceed 2^31-1 cents, then the order is refused instead of overflowing', () => {
    const expensive = [product('CAR', 2_000_000_000), product('BIKE', 147_483_648)];

    const error = refusal(() =>
      priceOrder(
        [
          { sku: 'CAR', quantity: 1 },
          { sku: 'BIKE', quantity: 1 },
        ],
        expensive,
      ),
    );

    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.items' } });
    expect(error.message).toContain('too large');
  });

  test('when quantity times price alone overflows, then the order is refused', () => {
    expect(refusal(() => priceOrder([{ sku: 'GOLD', quantity: 100 }], [product('GOLD', 21_474_837)])).details.field).toBe('input.items');
  });
});
