import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppError } from '@fedshop/shared/errors';
import type { EdgeMetrics } from './edge-metrics';
import { rejection } from './rejection';

/** One operation of a manifest, in Apollo's persisted-query manifest format. */
export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

/** Apollo's persisted-query manifest (`@apollo/generate-persisted-query-manifest` writes the same shape). */
export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads and checks a manifest; throws naming the file and the problem. */
export function loadManifest(file: string): PersistedQueryManifest {
  let manifest: PersistedQueryManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as PersistedQueryManifest;
  } catch (error) {
    throw new Error(`cannot read the persisted-query manifest ${file}: ${(error as Error).message}`);
  }
  if (manifest?.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`${file} is not an apollo-persisted-query-manifest, version 1`);
  }
  for (const operation of manifest.operations) {
    if (typeof operation?.id !== 'string' || typeof operation.body !== 'string' || typeof operation.name !== 'string') {
      throw new Error(`${file}: every operation needs a string id, name and body`);
    }
  }
  return manifest;
}

/** The operation text and persisted-query hash a GraphQL request carries (POST body or GET parameters). */
export interface RequestedOperation {
  query?: string;
  sha256Hash?: string;
}

/** Reads what the request asks to run, without judging it (Apollo Server refuses malformed requests itself). */
export function requestedOperation(method: string | undefined, body: unknown, search: URLSearchParams): RequestedOperation {
  if (method === 'GET') {
    let extensions: unknown;
    try {
      extensions = JSON.parse(search.get('extensions') ?? 'null');
    } catch {
      extensions = undefined;
    }
    return pick(search.get('query') ?? undefined, extensions);
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { query, extensions } = body as { query?: unknown; extensions?: unknown };
    return pick(query, extensions);
  }
  return {};
}

function pick(query: unknown, extensions: unknown): RequestedOperation {
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery?.sha256Hash;
  return {
    ...(typeof query === 'string' && query !== '' ? { query } : {}),
    ...(typeof hash === 'string' ? { sha256Hash: hash } : {}),
  };
}

/**
 * Safelisting (`PERSISTED_QUERIES=safelist`): only operations of the manifest run. Clients
 * send an operation's id as the persisted-query hash (no text), or the exact text of a listed
 * operation; anything else is refused with 400 PERSISTED_QUERY_NOT_IN_LIST before parsing.
 * Registering new operations through APQ is impossible: the cache Apollo Server reads ids from
 * is the manifest, and writes to it are dropped.
 */
export interface Safelist {
  /** Throws the 400 rejection when the request's operation is not listed. */
  check(requested: RequestedOperation): void;
  /** Apollo Server's `persistedQueries.cache`: ids resolve to the manifest's bodies, nothing is stored. */
  cache: {
    get(key: string): Promise<string | undefined>;
    set(key: string, value: string): Promise<void>;
    delete(key: string): Promise<boolean | void>;
  };
  size: number;
}

/** Apollo Server prefixes APQ cache keys with `apq:`. */
const APQ_PREFIX = 'apq:';

export function createSafelist(manifest: PersistedQueryManifest, metrics?: EdgeMetrics): Safelist {
  const bodyById = new Map(manifest.operations.map((operation) => [operation.id, operation.body]));
  const listedBodies = new Set(manifest.operations.map((operation) => sha256Hex(operation.body)));
  return {
    size: bodyById.size,
    check(requested) {
      // An id alone is looked up by Apollo Server in `cache` (unknown: PERSISTED_QUERY_NOT_FOUND).
      if (requested.query === undefined) return;
      if (listedBodies.has(sha256Hex(requested.query))) return;
      metrics?.rejectedOperations.inc({ code: 'PERSISTED_QUERY_NOT_IN_LIST' });
      throw rejection(
        new AppError(
          'PERSISTED_QUERY_NOT_IN_LIST',
          'Only operations from the persisted-query list are accepted here; send a listed operation id.',
        ),
        400,
      );
    },
    cache: {
      async get(key) {
        return bodyById.get(key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key);
      },
      async set() {},
      async delete() {
        return false;
      },
    },
  };
}
