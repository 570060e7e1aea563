import { createPasswordHasher } from './password-hasher';

// Real scrypt at a low cost: the same code path as production, fast enough for unit tests.
const TEST_COST = 1024;
const hasher = createPasswordHasher(TEST_COST);

describe('createPasswordHasher', () => {
  test('when a password is hashed, then the same password verifies', async () => {
    const stored = await hasher.hash('correct horse battery staple');

    await expect(hasher.verify('correct horse battery staple', stored)).resolves.toBe(true);
  });

  test.each([
    ['another password', 'Tr0ub4dor&3'],
    ['a different case', 'Correct horse battery staple'],
    ['a trailing space', 'correct horse battery staple '],
    ['a prefix', 'correct horse battery'],
    ['the empty string', ''],
  ])('when %s is tried, then verify answers false', async (_label, attempt) => {
    const stored = await hasher.hash('correct horse battery staple');

    await expect(hasher.verify(attempt, stored)).resolves.toBe(false);
  });

  test('when a password is hashed, then the stored value is scrypt$N$r$p$salt$hash with a 16-byte salt and 32-byte key', async () => {
    const stored = await hasher.hash('analytical-engine');

    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const [, , , , salt, hash] = stored.split('$');
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64url')).toHaveLength(32);
    expect(stored).not.toContain('analytical-engine');
  });

  test('when the same password is hashed twice, then the two hashes differ (fresh salt) and both verify', async () => {
    const first = await hasher.hash('same password');
    const second = await hasher.hash('same password');

    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    await expect(hasher.verify('same password', first)).resolves.toBe(true);
    await expect(hasher.verify('same password', second)).resolves.toBe(true);
  });

  test('when a hash was made at another cost, then it still verifies (the cost is read from the hash)', async () => {
    const older = await createPasswordHasher(2048).hash('rotating costs');

    expect(older.startsWith('scrypt$2048$8$1$')).toBe(true);
    await expect(hasher.verify('rotating costs', older)).resolves.toBe(true);
  });

  test('when a password is typed in another Unicode normalisation form, then it still verifies (NFC)', async () => {
    const composed = 'caf\u00e9-password';
    const decomposed = 'cafe\u0301-password';
    const stored = await hasher.hash(composed);

    await expect(hasher.verify(decomposed, stored)).resolves.toBe(true);
  });

  test('when the stored hash is altered by one character, then verify answers false', async () => {
    const stored = await hasher.hash('tamper proof');
    const parts = stored.split('$');
    const hash = parts[5]!;
    parts[5] = (hash[0] === 'A' ? 'B' : 'A') + hash.slice(1);

    await expect(hasher.verify('tamper proof', parts.join('$'))).resolves.toBe(false);
  });

  test.each([
    ['empty', ''],
    ['not a hash', 'garbage'],
    ['another scheme', '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'],
    ['separators only', 'scrypt$$$$$'],
    ['missing the hash', 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA'],
    ['a truncated hash', 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA'],
    ['a non-numeric cost', 'scrypt$abc$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
    ['a cost that is not a power of two', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
    ['a negative block size', 'scrypt$1024$-8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
  ])('when the stored value is %s, then verify answers false instead of throwing', async (_label, stored) => {
    await expect(hasher.verify('any password', stored)).resolves.toBe(false);
  });

  test('when there is no account to check against, then verifyAgainstNothing still does the work and resolves', async () => {
    await expect(hasher.verifyAgainstNothing('whatever')).resolves.toBeUndefined();
  });
});
