import { AppError } from '../errors/app-error';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, parsePageRequest, toConnection } from './pagination';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('cursors', () => {
  test.each(['2026-11-25T12:00:00.000Z|3f1c', 'SKU-001', 'ünïcödé ✓ 🛒', 'a:b:c'])(
    'when key %j is encoded and decoded, then the same key comes back',
    (key) => {
      const cursor = encodeCursor(key);

      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toBe(key);
    },
  );

  test('when a key is encoded, then the cursor does not show it in clear', () => {
    expect(encodeCursor('SKU-001')).not.toContain('SKU-001');
  });

  test.each([
    ['a cursor of another API (no version prefix)', Buffer.from('SKU-001').toString('base64url')],
    ['a cursor with an unknown version', Buffer.from('c2:SKU-001').toString('base64url')],
    ['a prefix with an empty key', Buffer.from('c1:').toString('base64url')],
    ['an empty string', ''],
    ['standard base64 with padding and slashes', Buffer.from('c1:??>>').toString('base64')],
    ['text with spaces', 'not a cursor'],
    ['an overlong cursor', encodeCursor('k'.repeat(600))],
  ])('when the cursor is %s, then it decodes to null', (_label, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});

describe('parsePageRequest', () => {
  test('when first is not given, then the page size is 20', () => {
    expect(parsePageRequest({})).toEqual({ limit: 20, afterKey: null });
    expect(parsePageRequest({ first: null, after: null })).toEqual({ limit: 20, afterKey: null });
  });

  test.each([0, 1, 99, MAX_PAGE_SIZE])('when first is %d, then it is accepted as the limit', (first) => {
    expect(parsePageRequest({ first }).limit).toBe(first);
  });

  test.each([-1, MAX_PAGE_SIZE + 1, 1000, 2.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'when first is %d, then it is refused as BAD_USER_INPUT on field first (not clamped)',
    (first) => {
      const error = thrown(() => parsePageRequest({ first }));

      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.details.field).toBe('first');
      expect(error.message).toBe('first must be between 0 and 100.');
    },
  );

  test('when after is a cursor this API issued, then its key is the afterKey', () => {
    expect(parsePageRequest({ first: 5, after: encodeCursor('SKU-010') })).toEqual({ limit: 5, afterKey: 'SKU-010' });
  });

  test.each([
    ['garbage', 'abc$%'],
    ['a foreign cursor', Buffer.from('offset:40').toString('base64url')],
    ['an empty string', ''],
  ])('when after is %s, then it is refused as BAD_USER_INPUT on field after', (_label, after) => {
    const error = thrown(() => parsePageRequest({ after }));

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details.field).toBe('after');
  });

  test('when after is well-formed but its key fails validKey, then it is refused', () => {
    const isUuid = (key: string) => /^[0-9a-f-]{36}$/.test(key);

    expect(parsePageRequest({ after: encodeCursor('0b7d6a4e-1f3c-4a52-9b8e-2d1c0f9e8a71') }, isUuid).afterKey).toBe(
      '0b7d6a4e-1f3c-4a52-9b8e-2d1c0f9e8a71',
    );
    expect(thrown(() => parsePageRequest({ after: encodeCursor("1' OR '1'='1") }, isUuid)).details.field).toBe('after');
  });
});

describe('toConnection', () => {
  const keyOf = (row: { id: string }) => row.id;
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i + 1}` }));

  test('when limit + 1 rows come back, then hasNextPage is true and the extra row is not returned', () => {
    const connection = toConnection(rows(4), 3, keyOf, () => 10);

    expect(connection.edges.map((edge) => edge.node.id)).toEqual(['r1', 'r2', 'r3']);
    expect(connection.pageInfo.hasNextPage).toBe(true);
  });

  test('when exactly limit rows come back, then hasNextPage is false', () => {
    const connection = toConnection(rows(3), 3, keyOf, () => 3);

    expect(connection.edges).toHaveLength(3);
    expect(connection.pageInfo.hasNextPage).toBe(false);
  });

  test('when rows come back, then each edge cursor encodes its node key and endCursor is the last edge cursor', () => {
    const connection = toConnection(rows(4), 3, keyOf, () => 10);

    expect(connection.edges.map((edge) => decodeCursor(edge.cursor))).toEqual(['r1', 'r2', 'r3']);
    expect(connection.pageInfo.endCursor).toBe(connection.edges[2]!.cursor);
    expect(parsePageRequest({ after: connection.pageInfo.endCursor }).afterKey).toBe('r3');
  });

  test('when no rows come back, then the page is empty, hasNextPage false and endCursor null', () => {
    const connection = toConnection([], 20, keyOf, () => 0);

    expect(connection.edges).toEqual([]);
    expect(connection.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  test('when first is 0 and rows exist, then no edges are returned but hasNextPage tells there are more', () => {
    const connection = toConnection(rows(1), 0, keyOf, () => 1);

    expect(connection.edges).toEqual([]);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: null });
  });

  test('when the connection is built, then totalCount is not computed until asked', async () => {
    const count = jest.fn(async () => 42);

    const connection = toConnection(rows(2), 5, keyOf, count);

    expect(count).not.toHaveBeenCalled();
    await expect(connection.totalCount()).resolves.toBe(42);
  });
});
