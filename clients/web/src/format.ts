/** Money from cents, in the shopper's locale. */
export function formatMoney(cents: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
}

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** Order ids are UUIDs: the first block is enough to tell orders apart on screen. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
