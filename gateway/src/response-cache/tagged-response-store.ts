import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Logger } from 'pino';
import type { ResponseCacheMetrics } from './response-cache-metrics';
import type { ResponseStoreBackend } from './response-store-backend';

/** What the gateway knows about a response it is about to cache. */
export interface EntryFacts {
  /** The operation's name (metrics), or `anonymous`. */
  operation: string;
  /** The entities and root lists it shows (subgraphs' cache tags). */
  tags: readonly string[];
  /**
   * When the earliest subgraph fetch behind it was sent, ms since the epoch: its data is at
   * least as new as that instant, and no newer.
   */
  fetchedAtMs: number;
}

export interface TaggedResponseStoreOptions {
  backend: ResponseStoreBackend;
  /** Larger entries are not written, and refused when read (RESPONSE_CACHE_MAX_ENTRY_BYTES). */
  maxEntryBytes: number;
  /** No entry lives longer than this, s, whatever its max-age (RESPONSE_CACHE_MAX_AGE_CAP). */
  maxAgeCapSeconds: number;
  metrics: ResponseCacheMetrics;
  logger: Logger;
  /** Purges remembered at most (tombstones); when more, the oldest raises a floor instead. Default 100,000. */
  maxTombstones?: number;
  now?: () => number;
}

interface EntryHeader {
  v: 1;
  tags: string[];
  fetchedAt: number;
}

const ENTRY_VERSION = 1;
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * The response cache's store, as Apollo's response-cache plugin sees it (a KeyValueCache of
 * serialized responses), with what the plugin lacks:
 * - **tags**: each entry is written with the tags of the entities it shows (handed over by
 *   {@link expectWrite} just before the plugin writes), and {@link purge} deletes every entry
 *   under a tag;
 * - **tombstones**: a purge also remembers when it happened, and an entry whose data was
 *   fetched before the last purge of one of its tags is refused, on write and on read. This
 *   closes the race where a request that read the old value before a write commits caches it
 *   after the purge; and it makes a purge by one replica hold against entries another replica
 *   writes to the shared store before hearing of the purge;
 * - **refusals**: entries over the size bound are never written; anything read that is not
 *   exactly what this store writes (unparsable, wrong shape, oversized: a poisoned entry) is
 *   deleted and served as a miss;
 * - **failures**: a store that cannot be reached (Redis down) is a miss, never an error.
 *
 * Entries are `<header JSON>\n<the plugin's value>`: JSON never holds a raw newline.
 */
export class TaggedResponseStore implements KeyValueCache<string> {
  private readonly tombstones = new Map<string, number>();
  /** Entries fetched before this instant are refused (raised when tombstones are forgotten). */
  private floorMs = 0;
  private pendingWrite: { key: string; facts: EntryFacts } | null = null;
  private unreachableSince: number | null = null;
  private readonly now: () => number;

  constructor(private readonly options: TaggedResponseStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  get kind(): ResponseStoreBackend['kind'] {
    return this.options.backend.kind;
  }

  /**
   * Names the facts of the entry the plugin writes next. The plugin computes the key and
   * writes synchronously after it (generateCacheKey, then cache.set, with no await between),
   * so the write that follows is this request's; any other write finds no facts and is refused.
   */
  expectWrite(key: string, facts: EntryFacts): void {
    this.pendingWrite = { key, facts };
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const pending = this.pendingWrite;
    this.pendingWrite = null;
    // The plugin prefixes keys with `fqc:`.
    if (!pending || !key.endsWith(pending.key)) {
      this.options.metrics.refused.inc({ operation: 'unknown', reason: 'no_tags' });
      return;
    }
    const { facts } = pending;
    if (this.isPurgedSince(facts.tags, facts.fetchedAtMs)) {
      this.options.metrics.refused.inc({ operation: facts.operation, reason: 'purged_while_fetching' });
      return;
    }
    const header: EntryHeader = { v: ENTRY_VERSION, tags: [...facts.tags], fetchedAt: facts.fetchedAtMs };
    const entry = `${JSON.stringify(header)}\n${value}`;
    const bytes = Buffer.byteLength(entry);
    if (bytes > this.options.maxEntryBytes) {
      this.options.metrics.refused.inc({ operation: facts.operation, reason: 'oversized' });
      return;
    }
    const ttl = Math.min(options?.ttl ?? this.options.maxAgeCapSeconds, this.options.maxAgeCapSeconds);
    if (!(ttl > 0)) return;
    try {
      await this.options.backend.set(key, entry, ttl, header.tags);
      this.reachable();
      this.options.metrics.writes.inc({ operation: facts.operation });
      this.options.metrics.bytesWritten.inc({ operation: facts.operation }, bytes);
    } catch (error) {
      this.unreachable(error);
    }
  }

  async get(key: string): Promise<string | undefined> {
    let entry: string | undefined;
    try {
      entry = await this.options.backend.get(key);
      this.reachable();
    } catch (error) {
      this.unreachable(error);
      return undefined;
    }
    if (entry === undefined) return undefined;
    const value = this.accept(entry);
    if (value === null) {
      await this.options.backend.delete(key).catch(() => undefined);
      return undefined;
    }
    return value;
  }

  async delete(key: string): Promise<boolean> {
    try {
      await this.options.backend.delete(key);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Deletes every entry showing any of `tags`, and remembers the purge: entries fetched
   * before now are refused from here on. Resolves once the store has deleted them (or could
   * not be reached: then the tombstones still protect this replica's reads).
   */
  async purge(tags: readonly string[], source: 'mutation' | 'event' | 'broadcast'): Promise<void> {
    if (tags.length === 0) return;
    const at = this.now();
    for (const tag of tags) {
      // Re-inserted, so the map stays in purge order (oldest first).
      this.tombstones.delete(tag);
      this.tombstones.set(tag, at);
    }
    this.forgetOldTombstones(at);
    this.options.metrics.purges.inc({ source }, tags.length);
    try {
      const deleted = await this.options.backend.purgeTags(tags);
      this.options.metrics.purgedEntries.inc({ source }, deleted);
      this.reachable();
    } catch (error) {
      this.unreachable(error);
    }
  }

  async close(): Promise<void> {
    await this.options.backend.close();
  }

  /** The plugin's value when `entry` is well-formed, within bounds and not purged since it was fetched; else null. */
  private accept(entry: string): string | null {
    const reject = (reason: string) => {
      this.options.metrics.refused.inc({ operation: 'unknown', reason });
      return null;
    };
    if (Buffer.byteLength(entry) > this.options.maxEntryBytes) return reject('oversized');
    const newline = entry.indexOf('\n');
    if (newline < 0) return reject('malformed');
    let header: EntryHeader;
    let value: { data?: unknown; cachePolicy?: { maxAge?: unknown; scope?: unknown }; cacheTime?: unknown };
    const text = entry.slice(newline + 1);
    try {
      header = JSON.parse(entry.slice(0, newline)) as EntryHeader;
      value = JSON.parse(text) as typeof value;
    } catch {
      return reject('malformed');
    }
    const wellFormed =
      header?.v === ENTRY_VERSION &&
      isStringArray(header.tags) &&
      typeof header.fetchedAt === 'number' &&
      typeof value?.data === 'object' &&
      value.data !== null &&
      !Array.isArray(value.data) &&
      typeof value.cachePolicy?.maxAge === 'number' &&
      (value.cachePolicy.scope === 'PUBLIC' || value.cachePolicy.scope === 'PRIVATE') &&
      typeof value.cacheTime === 'number';
    if (!wellFormed) return reject('malformed');
    if (this.isPurgedSince(header.tags, header.fetchedAt)) return reject('purged_while_fetching');
    return text;
  }

  private isPurgedSince(tags: readonly string[], fetchedAtMs: number): boolean {
    if (fetchedAtMs <= this.floorMs) return true;
    for (const tag of tags) {
      const purgedAt = this.tombstones.get(tag);
      if (purgedAt !== undefined && purgedAt >= fetchedAtMs) return true;
    }
    return false;
  }

  /**
   * A tombstone is needed while an entry fetched before it may still be written or read: the
   * longest entry life plus a subgraph call's worth. Past the count bound, the oldest go and
   * the floor rises to their time (stricter, never laxer).
   */
  private forgetOldTombstones(now: number): void {
    const keepMs = (this.options.maxAgeCapSeconds + 60) * 1000;
    const max = this.options.maxTombstones ?? 100_000;
    for (const [tag, at] of this.tombstones) {
      if (at >= now - keepMs && this.tombstones.size <= max) break;
      this.tombstones.delete(tag);
      if (at >= now - keepMs) this.floorMs = Math.max(this.floorMs, at);
    }
  }

  private reachable(): void {
    if (this.unreachableSince === null) return;
    this.options.logger.info({ store: this.kind }, 'response cache store reachable again');
    this.unreachableSince = null;
  }

  private unreachable(error: unknown): void {
    this.options.metrics.storeErrors.inc();
    if (this.unreachableSince !== null) return;
    this.unreachableSince = this.now();
    this.options.logger.warn({ err: error, store: this.kind }, 'response cache store unreachable: serving uncached');
  }
}
