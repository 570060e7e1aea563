import type Redis from 'ioredis';

/** One token bucket to take from: holds `capacity` tokens and refills `capacity` per minute. */
export interface BucketRequest {
  key: string;
  capacity: number;
  /** Tokens this request takes (e.g. 3 for three signIn fields in one operation). */
  cost: number;
}

/** A bucket after the take. */
export interface BucketState {
  key: string;
  capacity: number;
  /** Whole tokens left. */
  remaining: number;
  /** 0 when the take succeeded, else how long until `cost` tokens are back. */
  retryAfterMs: number;
  /** How long until the bucket is full again. */
  resetMs: number;
}

interface TakeResult {
  /** True when every bucket had enough tokens; then each gave them (all or nothing). */
  allowed: boolean;
  buckets: BucketState[];
}

/** Where buckets live: one process's memory, or Redis shared by every gateway replica. */
export interface RateLimitStore {
  /** Takes from every bucket atomically, or from none when one of them is short. Rejects when the store is unreachable. */
  take(requests: BucketRequest[]): Promise<TakeResult>;
  /** Resolves true once the store can answer, false if it still cannot after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const MS_PER_MINUTE = 60_000;

/** Tokens a bucket holds `elapsedMs` after it held `tokens`. */
function refilled(tokens: number, capacity: number, elapsedMs: number): number {
  return Math.min(capacity, tokens + (Math.max(0, elapsedMs) * capacity) / MS_PER_MINUTE);
}

function stateOf(request: BucketRequest, tokens: number, allowed: boolean, short: boolean): BucketState {
  const perMs = request.capacity / MS_PER_MINUTE;
  return {
    key: request.key,
    capacity: request.capacity,
    remaining: Math.max(0, Math.floor(tokens)),
    retryAfterMs: allowed ? 0 : short ? Math.ceil((Math.min(request.cost, request.capacity) - tokens) / perMs) : 0,
    resetMs: Math.ceil((request.capacity - tokens) / perMs),
  };
}

export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Buckets kept at most; full (idle) buckets are dropped first. Default 100 000. */
  maxBuckets?: number;
}

/**
 * Buckets in this process's memory: right for one gateway, and the fallback without Redis.
 * A bucket that has refilled completely is the same as no bucket, so idle ones are dropped.
 */
export function createMemoryRateLimitStore(options: MemoryStoreOptions = {}): RateLimitStore {
  const now = options.now ?? Date.now;
  const maxBuckets = options.maxBuckets ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number; capacity: number }>();
  const sweep = () => {
    const at = now();
    for (const [key, bucket] of buckets) {
      if (refilled(bucket.tokens, bucket.capacity, at - bucket.at) >= bucket.capacity) buckets.delete(key);
    }
  };
  const timer = setInterval(sweep, MS_PER_MINUTE);
  timer.unref();
  return {
    async take(requests) {
      const at = now();
      const tokens = requests.map((request) => {
        const bucket = buckets.get(request.key);
        return bucket ? refilled(bucket.tokens, request.capacity, at - bucket.at) : request.capacity;
      });
      const allowed = requests.every((request, i) => tokens[i]! >= request.cost);
      const states = requests.map((request, i) => {
        const left = allowed ? tokens[i]! - request.cost : tokens[i]!;
        buckets.set(request.key, { tokens: left, at, capacity: request.capacity });
        return stateOf(request, left, allowed, tokens[i]! < request.cost);
      });
      if (buckets.size > maxBuckets) sweep();
      return { allowed, buckets: states };
    },
    ready: async () => true,
    async close() {
      clearInterval(timer);
      buckets.clear();
    },
  };
}

/**
 * The same token buckets as the memory store, taken atomically in one script run per check.
 * Time comes from the Redis server (TIME), so replicas with skewed clocks agree. Each key
 * expires once its bucket would be full again. Returns: allowed, then per bucket the
 * remaining tokens (floored), ms until `cost` is back, ms until full.
 */
const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local n = #KEYS
local tokens = {}
local allowed = 1
for i = 1, n do
  local capacity = tonumber(ARGV[2 * i - 1])
  local cost = tonumber(ARGV[2 * i])
  local saved = redis.call('HMGET', KEYS[i], 't', 'at')
  local t = tonumber(saved[1])
  local at = tonumber(saved[2])
  if t == nil or at == nil then
    t = capacity
  else
    t = math.min(capacity, t + math.max(0, now - at) * capacity / 60000)
  end
  tokens[i] = t
  if t < cost then allowed = 0 end
end
local result = { allowed }
for i = 1, n do
  local capacity = tonumber(ARGV[2 * i - 1])
  local cost = tonumber(ARGV[2 * i])
  local perMs = capacity / 60000
  local t = tokens[i]
  local retry = 0
  if allowed == 1 then
    t = t - cost
  elseif t < cost then
    retry = math.ceil((math.min(cost, capacity) - t) / perMs)
  end
  local reset = math.ceil((capacity - t) / perMs)
  redis.call('HSET', KEYS[i], 't', tostring(t), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], reset + 1000)
  result[#result + 1] = math.floor(t)
  result[#result + 1] = retry
  result[#result + 1] = reset
end
return result
`;

type RedisWithTake = Redis & { rateLimitTake(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

export interface RedisStoreOptions {
  url: string;
  /** A command slower than this counts as a store failure; default 250 ms. */
  commandTimeoutMs?: number;
  /** Told when the connection goes down or comes back (logging). */
  onConnectionChange?: (state: 'ready' | 'down', error?: Error) => void;
}

/**
 * Buckets in Redis, shared by every gateway replica. Commands are never queued while the
 * connection is down (they fail at once, so the gateway can fail open or closed without
 * waiting); the client reconnects in the background.
 */
export function createRedisRateLimitStore(options: RedisStoreOptions): RateLimitStore & { redis: Redis } {
  // Loaded only when Redis is configured: a single gateway keeps its buckets in memory.
  const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
  const redis = new RedisClient(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    // A stream already dead (Redis down) is not waited for at close.
    disconnectTimeout: 100,
    commandTimeout: options.commandTimeoutMs ?? 250,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  }) as RedisWithTake;
  redis.defineCommand('rateLimitTake', { lua: TAKE_SCRIPT });
  let down = false;
  redis.on('ready', () => {
    if (down) options.onConnectionChange?.('ready');
    down = false;
  });
  redis.on('error', (error: Error) => {
    if (!down) options.onConnectionChange?.('down', error);
    down = true;
  });
  return {
    redis,
    async take(requests) {
      const args = requests.flatMap((request) => [request.capacity, request.cost]);
      const reply = await redis.rateLimitTake(requests.length, ...requests.map((request) => request.key), ...args);
      const allowed = reply[0] === 1;
      return {
        allowed,
        buckets: requests.map((request, i) => ({
          key: request.key,
          capacity: request.capacity,
          remaining: Math.max(0, Number(reply[1 + 3 * i])),
          retryAfterMs: Number(reply[2 + 3 * i]),
          resetMs: Number(reply[3 + 3 * i]),
        })),
      };
    },
    ready(timeoutMs) {
      if (redis.status === 'ready') return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          redis.off('ready', onReady);
          resolve(ok);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        redis.on('ready', onReady);
      });
    },
    async close() {
      if (redis.status === 'end') return;
      // 'end' follows once the socket is closed; a client between reconnect attempts has none to close.
      const ended = new Promise<void>((resolve) => {
        redis.once('end', () => resolve());
        setTimeout(resolve, 500).unref();
      });
      redis.disconnect();
      await ended;
    },
  };
}
