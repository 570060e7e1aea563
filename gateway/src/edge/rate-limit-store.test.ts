import { randomUUID } from 'node:crypto';
import { freePort } from '@fedshop/shared/testing';
import { createMemoryRateLimitStore, createRedisRateLimitStore, type RateLimitStore } from './rate-limit-store';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.info('REDIS_URL is not set: the Redis rate-limit store tests are skipped (CI sets it).');

interface StoreUnderTest {
  store: RateLimitStore;
  /** Makes the bucket look `ms` older, as if that much time had passed for it. */
  age(key: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

function memoryStore(): StoreUnderTest {
  let now = 1_000_000;
  const store = createMemoryRateLimitStore({ now: () => now });
  return {
    store,
    // One clock for every bucket: each test uses its own keys, so moving it is the same thing.
    age: async (_key, ms) => {
      now += ms;
    },
    close: () => store.close(),
  };
}

function redisStore(): StoreUnderTest {
  const store = createRedisRateLimitStore({ url: REDIS_URL! });
  return {
    store,
    age: async (key, ms) => {
      const at = Number(await store.redis.hget(key, 'at'));
      await store.redis.hset(key, 'at', String(at - ms));
    },
    close: () => store.close(),
  };
}

const implementations: [string, () => StoreUnderTest][] = [['memory', memoryStore]];
if (REDIS_URL) implementations.push(['redis', redisStore]);

describe.each(implementations)('%s rate-limit store', (_name, make) => {
  let subject: StoreUnderTest;
  const prefix = `test:${randomUUID()}`;
  beforeAll(async () => {
    subject = make();
    expect(await subject.store.ready(2_000)).toBe(true);
  });
  afterAll(async () => {
    if (subject.store && 'redis' in subject.store) {
      const keys = await (subject.store as ReturnType<typeof createRedisRateLimitStore>).redis.keys(`${prefix}:*`);
      if (keys.length > 0) await (subject.store as ReturnType<typeof createRedisRateLimitStore>).redis.del(...keys);
    }
    await subject?.close();
  });

  test('when a bucket of 3 is taken from 4 times, then the 4th is refused with the time until a token is back', async () => {
    const key = `${prefix}:a`;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await subject.store.take([{ key, capacity: 3, cost: 1 }]));

    expect(results.map((result) => result.allowed)).toEqual([true, true, true, false]);
    expect(results.map((result) => result.buckets[0]!.remaining)).toEqual([2, 1, 0, 0]);
    // 3 per minute: one token every 20 s.
    expect(results[3]!.buckets[0]!.retryAfterMs).toBeGreaterThan(19_000);
    expect(results[3]!.buckets[0]!.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(results[2]!.buckets[0]!.resetMs).toBeGreaterThan(59_000);
  });

  test('when time passes, then the bucket refills at its per-minute rate, never above its capacity', async () => {
    const key = `${prefix}:b`;
    for (let i = 0; i < 3; i++) await subject.store.take([{ key, capacity: 3, cost: 1 }]);
    await subject.age(key, 20_500);

    const refilled = await subject.store.take([{ key, capacity: 3, cost: 1 }]);
    expect(refilled.allowed).toBe(true);
    expect((await subject.store.take([{ key, capacity: 3, cost: 1 }])).allowed).toBe(false);

    await subject.age(key, 10 * 60_000);
    const full = await subject.store.take([{ key, capacity: 3, cost: 1 }]);
    expect(full.buckets[0]!.remaining).toBe(2);
  });

  test('when one of two buckets is short, then neither gives a token (all or nothing)', async () => {
    const roomy = `${prefix}:roomy`;
    const empty = `${prefix}:empty`;
    await subject.store.take([{ key: empty, capacity: 1, cost: 1 }]);

    const refused = await subject.store.take([
      { key: roomy, capacity: 5, cost: 1 },
      { key: empty, capacity: 1, cost: 1 },
    ]);

    expect(refused.allowed).toBe(false);
    expect(refused.buckets[0]).toMatchObject({ remaining: 5, retryAfterMs: 0 });
    expect(refused.buckets[1]!.retryAfterMs).toBeGreaterThan(0);
    expect((await subject.store.take([{ key: roomy, capacity: 5, cost: 5 }])).allowed).toBe(true);
  });

  test('when a request costs more than one token, then it takes them all or none', async () => {
    const key = `${prefix}:cost`;
    expect((await subject.store.take([{ key, capacity: 10, cost: 7 }])).buckets[0]!.remaining).toBe(3);
    expect((await subject.store.take([{ key, capacity: 10, cost: 4 }])).allowed).toBe(false);
    expect((await subject.store.take([{ key, capacity: 10, cost: 3 }])).allowed).toBe(true);
  });

  test('when 50 takes race for a bucket of 20, then exactly 20 win', async () => {
    const key = `${prefix}:race`;
    const results = await Promise.all(Array.from({ length: 50 }, () => subject.store.take([{ key, capacity: 20, cost: 1 }])));

    expect(results.filter((result) => result.allowed)).toHaveLength(20);
  });
});

(REDIS_URL ? describe : describe.skip)(`redis rate-limit store, Redis-specific${REDIS_URL ? '' : ' (skipped: REDIS_URL not set)'}`, () => {
  test('when a bucket is taken from, then its key expires once it would be full again', async () => {
    const store = createRedisRateLimitStore({ url: REDIS_URL! });
    try {
      await store.ready(2_000);
      const key = `test:${randomUUID()}:ttl`;
      await store.take([{ key, capacity: 60, cost: 1 }]);
      const ttl = await store.redis.pttl(key);
      // One token at 60/min is back within 1 s (+1 s slack).
      expect(ttl).toBeGreaterThan(500);
      expect(ttl).toBeLessThanOrEqual(2_000);
    } finally {
      await store.close();
    }
  });
});

describe('redis rate-limit store when Redis is unreachable', () => {
  test('when nothing listens at REDIS_URL, then a take fails at once instead of waiting', async () => {
    const store = createRedisRateLimitStore({ url: `redis://127.0.0.1:${await freePort()}` });
    try {
      expect(await store.ready(300)).toBe(false);
      const started = performance.now();
      await expect(store.take([{ key: 'k', capacity: 1, cost: 1 }])).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      await store.close();
    }
  });
});
