import pino from 'pino';
import { Registry } from 'prom-client';
import * as events from '@fedshop/shared/events';
import { listenForPurges, tagsOfEvent, type PurgeListener } from './purge-listener';

const NATS_URL = process.env.NATS_URL;
const describeWithNats = NATS_URL ? describe : describe.skip;

describe('tagsOfEvent', () => {
  test('when a product changed, then its entity, the catalog list and product(sku) lookups are purged', () => {
    const data = events.orderEventsV1.ProductChanged.encode({ eventId: 'e1', sku: 'KB-1', occurredAt: new Date(1_000) }).finish();
    expect(tagsOfEvent(events.PRODUCT_CHANGED_SUBJECT, data, events)).toEqual({
      tags: ['Product:KB-1', 'Query.products', 'Query.product'],
      occurredAt: new Date(1_000),
    });
  });

  test('when an order is placed or cancelled, then the order and its owner’s responses are purged; other subjects purge nothing', () => {
    const order = { eventId: 'e2', orderId: 'o-1', userId: 'u-1', totalCents: 5, currency: 'USD', occurredAt: new Date(2_000) };
    const placed = events.orderEventsV1.OrderPlaced.encode(order).finish();
    expect(tagsOfEvent(events.ORDER_PLACED_SUBJECT, placed, events).tags).toEqual(['Order:o-1', 'User:u-1']);
    expect(tagsOfEvent('orders.v1.something_else', placed, events).tags).toEqual([]);
  });
});

describeWithNats('purge broadcasts between replicas, through a real NATS server', () => {
  const listeners: PurgeListener[] = [];
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  test('when one replica broadcasts what it purged, then the others purge the same tags and it does not purge twice', async () => {
    const received: { replica: string; tags: string[]; source: string }[] = [];
    const waiting = new Map<string, () => void>();
    const arrivalAt = (replica: string) => new Promise<void>((resolve) => waiting.set(replica, resolve));
    const replica = (name: string) =>
      listenForPurges({
        url: NATS_URL!,
        logger: pino({ level: 'silent' }),
        registry: new Registry(),
        purge: async (tags, source) => {
          received.push({ replica: name, tags, source });
          waiting.get(name)?.();
        },
      });
    const [one, two] = [replica('one'), replica('two')];
    listeners.push(one, two);
    await Promise.all([one.ready, two.ready]);

    const atTwo = arrivalAt('two');
    one.broadcast(['Product:KB-1', 'Query.products']);
    await atTwo;
    // The server relays to a subscriber in the order it took the publishes: once two's answer
    // reaches one, one's own broadcast would have reached it before, had it not been ignored.
    const atOne = arrivalAt('one');
    two.broadcast(['Order:o-1']);
    await atOne;

    expect(received).toEqual([
      { replica: 'two', tags: ['Product:KB-1', 'Query.products'], source: 'broadcast' },
      { replica: 'one', tags: ['Order:o-1'], source: 'broadcast' },
    ]);
  });
});
