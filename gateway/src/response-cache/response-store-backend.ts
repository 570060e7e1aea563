import type Redis from 'ioredis';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';

/**
 * Where cached responses live: whole entries by key, each indexed under its tags so a purge
 * by tag finds them. Two implementations: memory (one replica's own) and Redis (shared).
 */
export interface ResponseStoreBackend {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number, tags: readonly string[]): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every entry indexed under any of `tags`; resolves to how many were deleted. */
  purgeTags(tags: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * In this process, bounded by the bytes of its entries (least recently used first out),
 * through Apollo's InMemoryLRUCache (what @apollo/server-plugin-response-cache uses by
 * default). The tag index forgets an entry when the LRU drops it (evicted or expired).
 */
export function createMemoryBackend(maxBytes: number): ResponseStoreBackend {
  const keysByTag = new Map<string, Set<string>>();
  const tagsByKey = new Map<string, readonly string[]>();
  const unindex = (key: string) => {
    for (const tag of tagsByKey.get(key) ?? []) {
      const keys = keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) keysByTag.delete(tag);
    }
    tagsByKey.delete(key);
  };
  const cache = new InMemoryLRUCache<string>({
    maxSize: maxBytes,
    // UTF-16 length: close enough to bytes for JSON, and what the plugin's default measures.
    sizeCalculation: (value: string) => Math.max(1, value.length),
    dispose: (_value: string, key: string) => unindex(key),
  });
  return {
    kind: 'memory',
    get: (key) => cache.get(key),
    async set(key, value, ttlSeconds, tags) {
      unindex(key);
      await cache.set(key, value, { ttl: ttlSeconds });
      // An entry larger than the whole cache is not kept (lru-cache refuses it): nothing to index.
      if ((await cache.get(key)) === undefined) return;
      tagsByKey.set(key, tags);
      for (const tag of tags) {
        let keys = keysByTag.get(tag);
        if (!keys) keysByTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
    },
    async delete(key) {
      await cache.delete(key);
    },
    async purgeTags(tags) {
      const keys = new Set(tags.flatMap((tag) => [...(keysByTag.get(tag) ?? [])]));
      for (const key of keys) await cache.delete(key);
      return keys.size;
    },
    async close() {
      cache.clear();
    },
  };
}

/** Deletes the entries of every tag set named (KEYS) and the sets themselves, atomically. */
const PURGE_SCRIPT = `
local deleted = 0
for _, tagKey in ipairs(KEYS) do
  local keys = redis.call('SMEMBERS', tagKey)
  for i = 1, #keys, 500 do
    deleted = deleted + redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
  end
  redis.call('DEL', tagKey)
end
return deleted
`;

type RedisWithPurge = Redis & { purgeResponseTags(numberOfKeys: number, ...keys: string[]): Promise<number> };

export interface RedisBackendOptions {
  url: string;
  /** Prefix of every key this cache writes (RESPONSE_CACHE_KEY_PREFIX). */
  keyPrefix: string;
  /** How long a tag's index outlives the entries written under it, s (the longest entry TTL). */
  tagTtlSeconds: number;
  /** Each command's deadline, ms (250): a slow Redis is treated as a down one. */
  commandTimeoutMs?: number;
  onConnectionChange?: (state: 'ready' | 'down', error?: Error) => void;
}

/**
 * In Redis, shared by every gateway replica: an entry is a string with its TTL, each tag a set
 * of entry keys (expiring with the longest entry). Commands fail at once while the connection
 * is down (no offline queue): the cache is skipped, never waited for.
 */
export function createRedisBackend(options: RedisBackendOptions): ResponseStoreBackend & { redis: Redis } {
  // Loaded only when Redis is configured, as for the rate limiter.
  const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
  const redis = new RedisClient(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    disconnectTimeout: 100,
    commandTimeout: options.commandTimeoutMs ?? 250,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  }) as RedisWithPurge;
  redis.defineCommand('purgeResponseTags', { lua: PURGE_SCRIPT });
  let down = false;
  redis.on('ready', () => {
    if (down) options.onConnectionChange?.('ready');
    down = false;
  });
  redis.on('error', (error: Error) => {
    if (!down) options.onConnectionChange?.('down', error);
    down = true;
  });
  const entryKey = (key: string) => `${options.keyPrefix}:e:${key}`;
  const tagKey = (tag: string) => `${options.keyPrefix}:t:${tag}`;
  return {
    kind: 'redis',
    redis,
    async get(key) {
      return (await redis.get(entryKey(key))) ?? undefined;
    },
    async set(key, value, ttlSeconds, tags) {
      const entry = entryKey(key);
      const write = redis.multi().set(entry, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
      for (const tag of tags) write.sadd(tagKey(tag), entry).expire(tagKey(tag), options.tagTtlSeconds);
      const results = await write.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0] instanceof Error ? failed[0] : new Error(String(failed[0]));
    },
    async delete(key) {
      await redis.del(entryKey(key));
    },
    async purgeTags(tags) {
      if (tags.length === 0) return 0;
      return Number(await redis.purgeResponseTags(tags.length, ...tags.map(tagKey)));
    },
    async close() {
      redis.disconnect();
    },
  };
}
