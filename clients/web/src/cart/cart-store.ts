/** One product in the cart, with what the shopper saw when adding it. */
export interface CartLine {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  quantity: number;
}

/**
 * A checkout attempt: its idempotency key, and whether its outcome is unknown (sent, and no
 * clear answer came back: a network error, a timeout, SERVICE_UNAVAILABLE).
 */
export interface CheckoutAttempt {
  idempotencyKey: string;
  inDoubt: boolean;
}

export interface Cart {
  lines: CartLine[];
  checkout: CheckoutAttempt | null;
}

const STORAGE_KEY = 'fedshop.cart.v1';
/** The schema allows 1 to 100 units per line. */
export const MAX_QUANTITY = 100;
const EMPTY: Cart = { lines: [], checkout: null };

/**
 * The cart, kept in localStorage so it survives a reload, a sign-out and an expired session
 * (it is no secret: skus and quantities). It also keeps the idempotency key of the checkout
 * until the order is confirmed: a retry after a network error, a double click, or a reload
 * mid-checkout sends the same key, and the server answers with the first order instead of
 * placing another. A new key is drawn only when the cart changes after an attempt that was
 * certainly refused; while an attempt is in doubt the key stays, whatever happens to the cart.
 */
export class CartStore {
  private cart: Cart;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null,
    private readonly newKey: () => string = randomKey,
  ) {
    this.cart = this.read();
  }

  readonly getCart = (): Cart => this.cart;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Another tab changed the cart (the `storage` event). */
  reload(): void {
    this.cart = this.read();
    this.emit();
  }

  add(product: Omit<CartLine, 'quantity'>, quantity = 1): void {
    const existing = this.cart.lines.find((line) => line.sku === product.sku);
    const lines = existing
      ? this.cart.lines.map((line) =>
          line.sku === product.sku ? { ...line, quantity: Math.min(MAX_QUANTITY, line.quantity + quantity) } : line,
        )
      : [...this.cart.lines, { ...product, quantity: Math.min(MAX_QUANTITY, quantity) }];
    this.change(lines);
  }

  setQuantity(sku: string, quantity: number): void {
    const lines =
      quantity <= 0
        ? this.cart.lines.filter((line) => line.sku !== sku)
        : this.cart.lines.map((line) => (line.sku === sku ? { ...line, quantity: Math.min(MAX_QUANTITY, Math.floor(quantity)) } : line));
    this.change(lines);
  }

  remove(sku: string): void {
    this.change(this.cart.lines.filter((line) => line.sku !== sku));
  }

  /** The key for the next attempt, stored (in doubt) before the request leaves. */
  beginCheckout(): string {
    const idempotencyKey = this.cart.checkout?.idempotencyKey ?? this.newKey();
    this.write({ ...this.cart, checkout: { idempotencyKey, inDoubt: true } });
    return idempotencyKey;
  }

  /** The server certainly refused the attempt (nothing was written): a changed cart may get a new key. */
  checkoutRefused(): void {
    if (this.cart.checkout) this.write({ ...this.cart, checkout: { ...this.cart.checkout, inDoubt: false } });
  }

  /** The order exists: the cart and its key are done with. */
  checkoutConfirmed(): void {
    this.write(EMPTY);
  }

  private change(lines: CartLine[]): void {
    const checkout = this.cart.checkout?.inDoubt ? this.cart.checkout : null;
    this.write({ lines, checkout });
  }

  private write(cart: Cart): void {
    this.cart = cart;
    try {
      if (cart.lines.length === 0 && !cart.checkout) this.storage?.removeItem(STORAGE_KEY);
      else this.storage?.setItem(STORAGE_KEY, JSON.stringify(cart));
    } catch {
      // Storage full or disabled (private mode): the cart still works for this page's life.
    }
    this.emit();
  }

  private read(): Cart {
    try {
      const stored = JSON.parse(this.storage?.getItem(STORAGE_KEY) ?? 'null') as Cart | null;
      if (stored && Array.isArray(stored.lines))
        return { lines: stored.lines.filter(isCartLine), checkout: isAttempt(stored.checkout) ? stored.checkout : null };
    } catch {
      // A corrupt entry is an empty cart.
    }
    return EMPTY;
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function isCartLine(value: unknown): value is CartLine {
  const line = value as CartLine;
  return (
    typeof line?.sku === 'string' &&
    typeof line.name === 'string' &&
    Number.isInteger(line.priceCents) &&
    typeof line.currency === 'string' &&
    Number.isInteger(line.quantity) &&
    line.quantity > 0
  );
}

function isAttempt(value: unknown): value is CheckoutAttempt {
  const attempt = value as CheckoutAttempt;
  return typeof attempt?.idempotencyKey === 'string' && typeof attempt.inDoubt === 'boolean';
}

/** 128 random bits as hex: crypto.getRandomValues works on plain http too (randomUUID needs a secure context). */
function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `checkout-${[...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** Sum of the lines at the prices the shopper saw (the server prices the order from the catalog). */
export function cartTotalCents(cart: Cart): number {
  return cart.lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);
}
