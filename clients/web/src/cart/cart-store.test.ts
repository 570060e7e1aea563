import { CartStore } from './cart-store';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

const DESK = { sku: 'DS-001', name: 'Standing desk', priceCents: 59900, currency: 'USD' };
const LAMP = { sku: 'LT-001', name: 'Desk lamp', priceCents: 3400, currency: 'USD' };

describe('storefront: the cart and its checkout key', () => {
  let keys = 0;
  const newKey = () => `key-${++keys}`;

  test('when the page reloads, then the cart and its checkout key are still there', () => {
    const storage = memoryStorage();
    const cart = new CartStore(storage, newKey);
    cart.add(DESK);
    const key = cart.beginCheckout();

    const reloaded = new CartStore(storage, newKey);

    expect(reloaded.getCart()).toEqual({ lines: [{ ...DESK, quantity: 1 }], checkout: { idempotencyKey: key, inDoubt: true } });
  });

  test('when checkout is attempted again (double click, retry after a network error), then the same key is sent', () => {
    const cart = new CartStore(memoryStorage(), newKey);
    cart.add(DESK);

    expect(cart.beginCheckout()).toBe(cart.beginCheckout());
  });

  test('when the cart changes while an attempt is in doubt, then the key stays: the first order may exist', () => {
    const cart = new CartStore(memoryStorage(), newKey);
    cart.add(DESK);
    const key = cart.beginCheckout();

    cart.add(LAMP);

    expect(cart.beginCheckout()).toBe(key);
  });

  test('when the cart changes after a certain refusal, then the next checkout gets a new key', () => {
    const cart = new CartStore(memoryStorage(), newKey);
    cart.add(DESK, 5);
    const key = cart.beginCheckout();
    cart.checkoutRefused();

    cart.setQuantity(DESK.sku, 1);

    expect(cart.beginCheckout()).not.toBe(key);
  });

  test('when the order is confirmed, then the cart is emptied and nothing stays in storage', () => {
    const storage = memoryStorage();
    const cart = new CartStore(storage, newKey);
    cart.add(DESK);
    cart.beginCheckout();

    cart.checkoutConfirmed();

    expect(cart.getCart()).toEqual({ lines: [], checkout: null });
    expect(storage.items.size).toBe(0);
  });

  test('when quantities go past 100 or storage holds garbage, then the cart stays valid', () => {
    const storage = memoryStorage();
    const cart = new CartStore(storage, newKey);
    cart.add(DESK, 99);
    cart.add(DESK, 5);
    expect(cart.getCart().lines[0]!.quantity).toBe(100);

    storage.setItem('fedshop.cart.v1', '{"lines":[{"sku":1}],"checkout":"x"}');
    expect(new CartStore(storage, newKey).getCart()).toEqual({ lines: [], checkout: null });
  });
});
