import { Registry } from 'prom-client';
import pino from 'pino';
import { createResponseCacheMetrics } from './response-cache-metrics';
import { createMemoryBackend } from './response-store-backend';
import { TaggedResponseStore } from './tagged-response-store';

const VALUE = JSON.stringify({
  data: { product: { sku: 'A', priceCents: 100 } },
  cachePolicy: { maxAge: 60, scope: 'PUBLIC' },
  cacheTime: 1,
});

function storeAt(clock: { now: number }, maxEntryBytes = 10_000) {
  const registry = new Registry();
  const metrics = createResponseCacheMetrics(registry);
  const store = new TaggedResponseStore({
    backend: createMemoryBackend(1_000_000),
    maxEntryBytes,
    maxAgeCapSeconds: 300,
    metrics,
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
  });
  const refused = async (reason: string) =>
    (await registry.getSingleMetric('gateway_response_cache_refused_total')!.get()).values.find((value) => value.labels.reason === reason)
      ?.value ?? 0;
  // What the plugin does: the key is computed (and the facts handed over), then written at once.
  const write = (key: string, facts: { tags: string[]; fetchedAtMs: number }, value = VALUE) => {
    store.expectWrite(key, { operation: 'Op', ...facts });
    return store.set(`fqc:${key}`, value, { ttl: 60 });
  };
  return { store, write, refused };
}

describe('TaggedResponseStore', () => {
  test('when an entry is written with its tags, then it is served until a purge of one of its tags', async () => {
    const clock = { now: 1_000 };
    const { store, write } = storeAt(clock);
    await write('k', { tags: ['Product:A', 'Query.products'], fetchedAtMs: 900 });
    expect(await store.get('fqc:k')).toBe(VALUE);
    clock.now = 2_000;
    await store.purge(['Product:B'], 'event');
    expect(await store.get('fqc:k')).toBe(VALUE);
    await store.purge(['Product:A'], 'event');
    expect(await store.get('fqc:k')).toBeUndefined();
  });

  test('when a response fetched before a purge is written after it, then it is refused (the old value never comes back)', async () => {
    const clock = { now: 2_000 };
    const { store, write, refused } = storeAt(clock);
    await store.purge(['Product:A'], 'mutation');
    clock.now = 2_050;
    // Its subgraph fetch was sent at 1 990, before the purge at 2 000: it may show the old price.
    await write('stale', { tags: ['Product:A'], fetchedAtMs: 1_990 });
    expect(await store.get('fqc:stale')).toBeUndefined();
    expect(await refused('purged_while_fetching')).toBe(1);
    // One fetched after the purge is fresh.
    await write('fresh', { tags: ['Product:A'], fetchedAtMs: 2_010 });
    expect(await store.get('fqc:fresh')).toBe(VALUE);
  });

  test('when the plugin writes without facts handed over, or for another key, then nothing is written', async () => {
    const { store, write, refused } = storeAt({ now: 1_000 });
    await store.set('fqc:untold', VALUE, { ttl: 60 });
    store.expectWrite('one', { operation: 'Op', tags: ['Product:A'], fetchedAtMs: 900 });
    await store.set('fqc:other', VALUE, { ttl: 60 });
    expect(await store.get('fqc:untold')).toBeUndefined();
    expect(await store.get('fqc:other')).toBeUndefined();
    expect(await refused('no_tags')).toBe(2);
    await write('ok', { tags: ['Product:A'], fetchedAtMs: 900 });
    expect(await store.get('fqc:ok')).toBe(VALUE);
  });

  test('when an entry is larger than the bound, then it is not written', async () => {
    const { store, write, refused } = storeAt({ now: 1_000 }, 200);
    await write(
      'big',
      { tags: ['Product:A'], fetchedAtMs: 900 },
      JSON.stringify({ data: { pad: 'x'.repeat(500) }, cachePolicy: { maxAge: 60, scope: 'PUBLIC' }, cacheTime: 1 }),
    );
    expect(await store.get('fqc:big')).toBeUndefined();
    expect(await refused('oversized')).toBe(1);
  });

  test('when more purges are remembered than the bound, then the oldest raise the floor: older entries are refused, never served', async () => {
    const clock = { now: 1_000 };
    const registry = new Registry();
    const store = new TaggedResponseStore({
      backend: createMemoryBackend(1_000_000),
      maxEntryBytes: 10_000,
      maxAgeCapSeconds: 300,
      metrics: createResponseCacheMetrics(registry),
      logger: pino({ level: 'silent' }),
      maxTombstones: 2,
      now: () => clock.now,
    });
    for (const tag of ['T:1', 'T:2', 'T:3']) {
      clock.now += 10;
      await store.purge([tag], 'event');
    }
    // T:1's tombstone (at 1 010) is forgotten; an entry fetched before it, under T:1, is still refused.
    store.expectWrite('k', { operation: 'Op', tags: ['T:1'], fetchedAtMs: 1_005 });
    await store.set('fqc:k', VALUE, { ttl: 60 });
    expect(await store.get('fqc:k')).toBeUndefined();
  });
});
