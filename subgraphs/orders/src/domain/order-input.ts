import { displayTextProblem, isCanonicalUuid } from '@fedshop/shared/domain';
import { badUserInput } from '@fedshop/shared/errors';

/** Input rules for the catalog and orders; each failure is a BAD_USER_INPUT naming the field. */

export const MAX_ITEMS_PER_ORDER = 50;
export const MAX_QUANTITY = 100;
export const IDEMPOTENCY_KEY_MAX = 100;
const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
const INT32_MAX = 2_147_483_647;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Order and user ids are canonical (lower-case) UUIDs; anything else cannot name a row. */
export function isUuid(value: string): boolean {
  return isCanonicalUuid(value);
}

export function isSku(value: string): boolean {
  return SKU_PATTERN.test(value);
}

export interface PlaceOrderInput {
  items: { sku: string; quantity: number }[];
  idempotencyKey: string;
}

export function checkPlaceOrderInput(input: PlaceOrderInput): PlaceOrderInput {
  if (input.items.length < 1 || input.items.length > MAX_ITEMS_PER_ORDER) {
    throw badUserInput('input.items', `An order has 1 to ${MAX_ITEMS_PER_ORDER} items.`);
  }
  const seen = new Set<string>();
  input.items.forEach((item, index) => {
    if (!isSku(item.sku))
      throw badUserInput(`input.items[${index}].sku`, `Unknown sku "${item.sku.slice(0, 64)}".`, { sku: item.sku.slice(0, 64) });
    if (seen.has(item.sku)) {
      throw badUserInput(`input.items[${index}].sku`, `The sku "${item.sku}" appears more than once; list each sku once.`, {
        sku: item.sku,
      });
    }
    seen.add(item.sku);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw badUserInput(`input.items[${index}].quantity`, `Quantity must be 1 to ${MAX_QUANTITY}.`, { sku: item.sku });
    }
  });
  if (input.idempotencyKey.length < 1 || input.idempotencyKey.length > IDEMPOTENCY_KEY_MAX) {
    throw badUserInput('input.idempotencyKey', `The idempotency key must be 1 to ${IDEMPOTENCY_KEY_MAX} characters.`);
  }
  if (CONTROL_CHARACTERS.test(input.idempotencyKey)) {
    throw badUserInput('input.idempotencyKey', 'The idempotency key must not contain control characters.');
  }
  // A lone surrogate would reach PostgreSQL as U+FFFD: two different keys would become one.
  if (/[\uD800-\uDFFF]/u.test(input.idempotencyKey)) {
    throw badUserInput('input.idempotencyKey', 'The idempotency key must be valid Unicode text.');
  }
  return input;
}

export interface ProductInput {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
}

export function checkProductInput(input: ProductInput): ProductInput {
  if (!isSku(input.sku)) {
    throw badUserInput('input.sku', 'A sku is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.');
  }
  const name = input.name.trim();
  if (name.length < 1 || [...name].length > 100) throw badUserInput('input.name', 'The name must be 1 to 100 characters long.');
  if (CONTROL_CHARACTERS.test(name)) throw badUserInput('input.name', 'The name must not contain control characters.');
  const problem = displayTextProblem(name);
  if (problem) throw badUserInput('input.name', `The name ${problem}.`);
  if (!Number.isInteger(input.priceCents) || input.priceCents < 0) throw badUserInput('input.priceCents', 'priceCents must be 0 or more.');
  const currency = input.currency.trim().toUpperCase();
  if (!CURRENCY_PATTERN.test(currency)) throw badUserInput('input.currency', 'currency must be a three-letter ISO 4217 code.');
  if (!Number.isInteger(input.stock) || input.stock < 0) throw badUserInput('input.stock', 'stock must be 0 or more.');
  return { sku: input.sku, name, priceCents: input.priceCents, currency, stock: input.stock };
}

/** Totals are GraphQL Ints (32-bit): an order whose total would not fit is refused. */
export function checkTotal(totalCents: number): number {
  if (totalCents > INT32_MAX) throw badUserInput('input.items', 'The order total is too large; split it into several orders.');
  return totalCents;
}
