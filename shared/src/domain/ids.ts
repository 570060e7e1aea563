import { randomBytes, randomInt } from 'node:crypto';

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

let lastMillis = 0;
let sequence = 0;

/**
 * A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit sequence, then random
 * bits. Ids made by one process only ever grow (the sequence counts within a millisecond, and
 * a clock that steps back keeps the last millisecond), so where an id is also the pagination
 * order, rows made one after the other page in that order. For rows whose id must be known
 * before they are written (an event that names them, written in the same statement).
 */
export function newTimeOrderedUuid(now: number = Date.now()): string {
  if (now > lastMillis) {
    lastMillis = now;
    // Start low in the range so many ids fit in one millisecond before it has to move on.
    sequence = randomInt(0, 0x400);
  } else if (++sequence > 0xfff) {
    lastMillis += 1;
    sequence = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMillis, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
