import { isCanonicalUuid, newTimeOrderedUuid } from './ids';

describe('newTimeOrderedUuid', () => {
  test('when made, then it is a canonical version-7, RFC 9562 variant UUID carrying the time', () => {
    const at = Date.UTC(2026, 11, 6, 12, 0, 0, 123);
    const id = newTimeOrderedUuid(at + 10_000_000);
    expect(isCanonicalUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at + 10_000_000);
  });

  test('when 10,000 are made in one millisecond, then each is new and each sorts after the one before', () => {
    const at = Date.UTC(2030, 0, 1);
    const ids = Array.from({ length: 10_000 }, () => newTimeOrderedUuid(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  test('when the clock steps back, then ids still grow', () => {
    const later = newTimeOrderedUuid(Date.UTC(2031, 0, 1));
    const afterStepBack = newTimeOrderedUuid(Date.UTC(2031, 0, 1) - 5_000);
    expect(afterStepBack > later).toBe(true);
  });
});
