import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt password hashing (node:crypto, no native addon). Hashes are self-describing,
 * `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking old hashes.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** Burns the same time as a real verify, so unknown emails answer as slowly as wrong passwords. */
  verifyAgainstNothing(password: string): Promise<void>;
}

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...options, maxmem: 256 * options.N! * options.r! }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** @param cost scrypt N (a power of two); default 16384 (~16 MiB, ~50 ms). */
export function createPasswordHasher(cost = 16384): PasswordHasher {
  const params = { N: cost, r: 8, p: 1 };
  const dummy = { salt: randomBytes(16) };
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, params);
      return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
    },
    async verify(password, stored) {
      const [scheme, n, r, p, salt, hash] = stored.split('$');
      if (scheme !== 'scrypt' || !salt || !hash) return false;
      const expected = Buffer.from(hash, 'base64url');
      // Parameters scrypt refuses (a corrupt stored value) mean no password can match: false, not a crash.
      const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) }).catch(() => null);
      return key !== null && key.length === expected.length && timingSafeEqual(key, expected);
    },
    async verifyAgainstNothing(password) {
      await derive(password, dummy.salt, params);
    },
  };
}
