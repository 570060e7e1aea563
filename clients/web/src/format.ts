/** Money from cents, in the shopper's locale. */
export function formatMoney(cents: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
}

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/**
 * Enough of an order id to tell orders apart on screen: its last 8 characters. Ids are UUIDv7,
 * whose first characters are a timestamp, shared by orders placed moments apart.
 */
export function shortId(id: string): string {
  return id.slice(-8);
}
