import { badUserInput } from '../errors/app-error';

/** Largest page any connection field serves; bigger `first` values are refused, not clamped. */
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  /** How many items to return. */
  limit: number;
  /** Sort key of the last item already seen (decoded from `after`), or null for the first page. */
  afterKey: string | null;
}

const CURSOR_PREFIX = 'c1:';

/** Cursors are opaque to clients: a versioned, base64url-encoded sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(CURSOR_PREFIX + key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | null {
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]*$/.test(cursor)) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  return decoded.startsWith(CURSOR_PREFIX) && decoded.length > CURSOR_PREFIX.length ? decoded.slice(CURSOR_PREFIX.length) : null;
}

/**
 * Validates Relay-style `first`/`after` arguments: `first` 0–100 (default 20), `after` a
 * cursor this API issued. `validKey` rejects cursors whose key has the wrong shape.
 */
export function parsePageRequest(
  args: { first?: number | null; after?: string | null },
  validKey: (key: string) => boolean = () => true,
): PageRequest {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput('first', `first must be between 0 and ${MAX_PAGE_SIZE}.`);
  }
  if (args.after === undefined || args.after === null) return { limit: first, afterKey: null };
  const key = decodeCursor(args.after);
  if (key === null || !validKey(key)) throw badUserInput('after', 'after is not a valid cursor.');
  return { limit: first, afterKey: key };
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Resolved only when the client asks for it (graphql-js calls function-valued fields). */
  totalCount: () => Promise<number> | number;
}

/**
 * Builds a connection from `limit + 1` fetched rows: the extra row only tells whether
 * another page exists.
 */
export function toConnection<T>(
  rows: T[],
  limit: number,
  keyOf: (node: T) => string,
  totalCount: () => Promise<number> | number,
): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
