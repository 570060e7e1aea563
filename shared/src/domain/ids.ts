/**
 * Lower-case UUIDs only: the form PostgreSQL returns and this API issues. The database would
 * also match other spellings, but services compare ids as strings (owner checks, loader
 * keys), so accepting them would let one account hide behind two spellings.
 */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `value` can be an id of ours; anything else names nothing and must never reach SQL as an id. */
export function isCanonicalUuid(value: string): boolean {
  return CANONICAL_UUID.test(value);
}
