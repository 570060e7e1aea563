import { createHash, randomBytes } from 'node:crypto';

/** A refresh token as handed out: 256 random bits, base64url (43 characters). */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the database keeps of a refresh token: its SHA-256, hex. A fast hash is enough (unlike
 * passwords): the token has 256 bits of entropy, so there is nothing to guess from the hash.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Shape check before any lookup: anything else is not one of ours. */
export function looksLikeRefreshToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
