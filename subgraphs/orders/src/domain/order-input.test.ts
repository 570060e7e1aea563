import { AppError } from '@fedshop/shared/errors';
import {
  checkPlaceOrderInput,
  checkProductInput,
  checkTotal,
  IDEMPOTENCY_KEY_MAX,
  MAX_ITEMS_PER_ORDER,
  MAX_QUANTITY,
  type PlaceOrderInput,
  type ProductInput,
} from './order-input';

/** The AppError `fn` throws (fails the test if it throws anything else or nothing). */
function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the input to be refused');
}

const order = (overrides: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  items: [{ sku: 'SKU-001', quantity: 1 }],
  idempotencyKey: 'checkout-7f3a',
  ...overrides,
});

const items = (count: number) => Array.from({ length: count }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));

describe('checkPlaceOrderInput', () => {
  test('when the order is well-formed, then it is returned unchanged', () => {
    const input = order({
      items: [
        { sku: 'SKU-001', quantity: 2 },
        { sku: 'mug.blue_XL', quantity: 100 },
      ],
    });

    expect(checkPlaceOrderInput(input)).toEqual(input);
  });

  test.each([1, MAX_ITEMS_PER_ORDER])('when the order has %d items, then it is accepted', (count) => {
    expect(MAX_ITEMS_PER_ORDER).toBe(50);
    expect(checkPlaceOrderInput(order({ items: items(count) })).items).toHaveLength(count);
  });

  test.each([0, MAX_ITEMS_PER_ORDER + 1])('when the order has %d items, then it is refused on input.items', (count) => {
    const error = refusal(() => checkPlaceOrderInput(order({ items: items(count) })));

    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.items' }, message: 'An order has 1 to 50 items.' });
  });

  test('when a sku appears twice, then the second one is refused, naming its index and the sku', () => {
    const error = refusal(() =>
      checkPlaceOrderInput(
        order({
          items: [
            { sku: 'A-1', quantity: 1 },
            { sku: 'B-2', quantity: 1 },
            { sku: 'A-1', quantity: 3 },
          ],
        }),
      ),
    );

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details).toEqual({ field: 'input.items[2].sku', sku: 'A-1' });
    expect(error.message).toContain('appears more than once');
  });

  test.each(['', '-starts-with-dash', 'has space', 'semi;colon', 'x'.repeat(65), "SKU' OR 1=1 --"])(
    'when a sku is malformed (%j), then it is refused on that item as an unknown sku',
    (sku) => {
      const error = refusal(() =>
        checkPlaceOrderInput(
          order({
            items: [
              { sku: 'OK-1', quantity: 1 },
              { sku, quantity: 1 },
            ],
          }),
        ),
      );

      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.details.field).toBe('input.items[1].sku');
      expect(error.message).toMatch(/^Unknown sku/);
    },
  );

  test('when a malformed sku is huge, then the error quotes at most 64 characters of it', () => {
    const error = refusal(() => checkPlaceOrderInput(order({ items: [{ sku: `!${'x'.repeat(10_000)}`, quantity: 1 }] })));

    expect(String(error.details.sku)).toHaveLength(64);
    expect(error.message.length).toBeLessThan(100);
  });

  test.each([1, MAX_QUANTITY])('when a quantity is %d, then it is accepted', (quantity) => {
    expect(MAX_QUANTITY).toBe(100);
    expect(checkPlaceOrderInput(order({ items: [{ sku: 'SKU-1', quantity }] })).items[0]!.quantity).toBe(quantity);
  });

  test.each([0, -1, MAX_QUANTITY + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'when a quantity is %d, then it is refused on that item naming the sku',
    (quantity) => {
      const error = refusal(() =>
        checkPlaceOrderInput(
          order({
            items: [
              { sku: 'SKU-1', quantity: 1 },
              { sku: 'SKU-2', quantity },
            ],
          }),
        ),
      );

      expect(error).toMatchObject({
        code: 'BAD_USER_INPUT',
        details: { field: 'input.items[1].quantity', sku: 'SKU-2' },
        message: 'Quantity must be 1 to 100.',
      });
    },
  );

  test.each([
    ['1 character', 'k'],
    ['100 characters', 'k'.repeat(IDEMPOTENCY_KEY_MAX)],
    ['a UUID', '9f1c2b9e-0c1d-4f7a-9d2e-3b4c5d6e7f80'],
    ['unicode text', 'commande-été-🛒'],
  ])('when the idempotency key is %s, then it is accepted', (_label, idempotencyKey) => {
    expect(checkPlaceOrderInput(order({ idempotencyKey })).idempotencyKey).toBe(idempotencyKey);
  });

  test.each([
    ['empty', '', 'must be 1 to 100 characters'],
    ['101 characters', 'k'.repeat(IDEMPOTENCY_KEY_MAX + 1), 'must be 1 to 100 characters'],
    ['with a NUL', 'key\u0000', 'control characters'],
    ['with a newline', 'key\nother', 'control characters'],
    ['with a tab', '\tkey', 'control characters'],
    ['with DEL', 'key\u007f', 'control characters'],
    ['with a C1 control', 'key\u009b', 'control characters'],
  ])('when the idempotency key is %s, then it is refused on input.idempotencyKey', (_label, idempotencyKey, message) => {
    const error = refusal(() => checkPlaceOrderInput(order({ idempotencyKey })));

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details.field).toBe('input.idempotencyKey');
    expect(error.message).toContain(message);
  });
});

describe('checkProductInput', () => {
  const product = (overrides: Partial<ProductInput> = {}): ProductInput => ({
    sku: 'MUG-BLUE',
    name: 'Blue mug',
    priceCents: 1299,
    currency: 'USD',
    stock: 10,
    ...overrides,
  });

  test('when the product is well-formed, then it is returned as given', () => {
    expect(checkProductInput(product())).toEqual(product());
  });

  test('when name and currency need tidying, then the name is trimmed and the currency trimmed and upper-cased', () => {
    expect(checkProductInput(product({ name: '  Blue mug  ', currency: ' eur ' }))).toEqual(product({ name: 'Blue mug', currency: 'EUR' }));
  });

  test('when price and stock are 0, then they are accepted (free items, sold out)', () => {
    expect(checkProductInput(product({ priceCents: 0, stock: 0 }))).toMatchObject({ priceCents: 0, stock: 0 });
  });

  test.each(['A', '9', 'a.b-c_d', 'x'.repeat(64)])('when the sku is %j, then it is accepted', (sku) => {
    expect(checkProductInput(product({ sku })).sku).toBe(sku);
  });

  test('when the name is 100 emoji, then it is accepted: length counts code points', () => {
    expect(checkProductInput(product({ name: '☕'.repeat(100) })).name).toBe('☕'.repeat(100));
  });

  test.each([
    ['an empty sku', 'sku', { sku: '' }],
    ['a sku starting with a dot', 'sku', { sku: '.hidden' }],
    ['a sku with a slash', 'sku', { sku: 'a/b' }],
    ['a 65-character sku', 'sku', { sku: 'x'.repeat(65) }],
    ['a sku with a trailing space', 'sku', { sku: 'MUG ' }],
    ['an empty name', 'name', { name: '' }],
    ['a blank name', 'name', { name: '   ' }],
    ['a 101-character name', 'name', { name: 'n'.repeat(101) }],
    ['a name with a newline', 'name', { name: 'Blue\nmug' }],
    ['a name with a NUL', 'name', { name: 'Blue mug\u0000' }],
    ['a negative price', 'priceCents', { priceCents: -1 }],
    ['a fractional price', 'priceCents', { priceCents: 12.5 }],
    ['a NaN price', 'priceCents', { priceCents: Number.NaN }],
    ['a two-letter currency', 'currency', { currency: 'US' }],
    ['a four-letter currency', 'currency', { currency: 'USDT' }],
    ['a currency with digits', 'currency', { currency: 'U5D' }],
    ['a currency symbol', 'currency', { currency: '$' }],
    ['an empty currency', 'currency', { currency: '' }],
    ['a negative stock', 'stock', { stock: -5 }],
    ['a fractional stock', 'stock', { stock: 0.5 }],
  ] as [string, string, Partial<ProductInput>][])(
    'when the product has %s, then it is refused naming input.%s',
    (_label, field, overrides) => {
      const error = refusal(() => checkProductInput(product(overrides)));

      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.details.field).toBe(`input.${field}`);
    },
  );
});

describe('checkTotal', () => {
  test('when the total is exactly 2^31-1 cents, then it is accepted', () => {
    expect(checkTotal(2 ** 31 - 1)).toBe(2 ** 31 - 1);
  });

  test('when the total is 2^31 cents, then it is refused on input.items', () => {
    expect(refusal(() => checkTotal(2 ** 31))).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.items' } });
  });
});
