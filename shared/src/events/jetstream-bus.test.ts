/**
 * The JetStream bus against the real NATS server (CI sets NATS_URL): a publisher's trace
 * context travels as the message's `traceparent` header, and the consumer's handler runs in a
 * span of that trace, so its log lines and SQL join the request that caused the event.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import type { DeliveredEvent, EventBus } from './event-bus';
import { connectJetStreamBus } from './jetstream-bus';

const NATS_URL = process.env.NATS_URL;
const describeWithNats = NATS_URL ? describe : describe.skip;
if (!NATS_URL) console.warn('NATS_URL not set: skipping the JetStream bus tests (CI sets it)');

describeWithNats('the JetStream bus', () => {
  // A stream of its own, so other tests' streams and consumers on the same broker are untouched.
  const suffix = randomUUID().slice(0, 8);
  const stream = { name: `TEST_TRACE_${suffix}`, subjects: [`test-trace-${suffix}.>`] };
  let bus: EventBus;

  beforeAll(async () => {
    // What startTelemetry sets up in a service: W3C propagation and async context.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    bus = await connectJetStreamBus({ url: NATS_URL!, name: 'jetstream-bus-test', stream, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await bus?.close();
    propagation.disable();
    context.disable();
    const nats = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nats)).streams.delete(stream.name).catch(() => false);
    await nats.close();
  });

  test('when an event is published with a traceparent, then the handler receives it and runs inside that trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const received = new Promise<{ event: DeliveredEvent; activeTraceId: string | undefined }>((resolve) => {
      void bus.subscribe({
        durable: `trace-${suffix}`,
        subject: `test-trace-${suffix}.>`,
        handler: async (event) => resolve({ event, activeTraceId: trace.getActiveSpan()?.spanContext().traceId }),
      });
    });

    await bus.publish(`test-trace-${suffix}.placed`, new Uint8Array([1, 2, 3]), randomUUID(), { traceparent });

    const { event, activeTraceId } = await received;
    expect(event.traceparent).toBe(traceparent);
    expect(Array.from(event.data)).toEqual([1, 2, 3]);
    expect(activeTraceId).toBe(traceId);
  });

  test('when an event is published without a traceparent, then the handler receives none and runs outside any caller trace', async () => {
    const received = new Promise<DeliveredEvent>((resolve) => {
      void bus.subscribe({ durable: `plain-${suffix}`, subject: `test-trace-${suffix}.plain`, handler: async (event) => resolve(event) });
    });

    await bus.publish(`test-trace-${suffix}.plain`, new Uint8Array([4]), randomUUID());

    expect((await received).traceparent).toBeUndefined();
  });
});

describeWithNats('namespaces on a shared NATS server (NATS_NAMESPACE)', () => {
  const stream = { name: 'TEST_NS', subjects: ['test-ns.>'] };
  const namespaces = [`ns-a-${randomUUID().slice(0, 8)}`, `ns-b-${randomUUID().slice(0, 8)}`];
  const buses: EventBus[] = [];

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    const nats = await connect({ servers: NATS_URL });
    const manager = await jetstreamManager(nats);
    for (const namespace of namespaces) await manager.streams.delete(`${namespace}_${stream.name}`).catch(() => false);
    await nats.close();
  });

  test('when two deployments use the same stream, subjects and durable under different namespaces, then each consumer sees only its own events, under the contract subjects', async () => {
    const received: Record<string, DeliveredEvent[]> = {};
    for (const namespace of namespaces) {
      const bus = await connectJetStreamBus({ url: NATS_URL!, name: namespace, stream, logger: pino({ level: 'silent' }), namespace });
      buses.push(bus);
      received[namespace] = [];
      await bus.subscribe({
        durable: 'same-durable',
        subject: 'test-ns.>',
        handler: async (event) => void received[namespace]!.push(event),
      });
    }

    await buses[0]!.publish('test-ns.placed', new Uint8Array([1]), randomUUID());
    await buses[1]!.publish('test-ns.placed', new Uint8Array([2]), randomUUID());
    await buses[1]!.publish('test-ns.cancelled', new Uint8Array([3]), randomUUID());
    const deadline = Date.now() + 10_000;
    while ((received[namespaces[0]!]!.length < 1 || received[namespaces[1]!]!.length < 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(received[namespaces[0]!]!.map((event) => [event.subject, Array.from(event.data)])).toEqual([['test-ns.placed', [1]]]);
    expect(received[namespaces[1]!]!.map((event) => [event.subject, Array.from(event.data)])).toEqual([
      ['test-ns.placed', [2]],
      ['test-ns.cancelled', [3]],
    ]);
    const nats = await connect({ servers: NATS_URL });
    const info = await (await jetstreamManager(nats)).streams.info(`${namespaces[0]}_${stream.name}`);
    await nats.close();
    expect(info.config.subjects).toEqual([`${namespaces[0]}.test-ns.>`]);
  });

  test('when a namespace holds a dot or a wildcard, then connecting refuses it by name', async () => {
    await expect(
      connectJetStreamBus({ url: NATS_URL!, name: 'bad', stream, logger: pino({ level: 'silent' }), namespace: 'a.b' }),
    ).rejects.toThrow('NATS namespace "a.b" must be 1 to 32 letters, digits, - or _');
  });
});

describeWithNats('closing a subscription with events pulled but not handled (a replica stopping)', () => {
  const suffix = randomUUID().slice(0, 8);
  const stream = { name: `TEST_CLOSE_${suffix}`, subjects: [`test-close-${suffix}.>`] };
  const buses: EventBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    const nats = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nats)).streams.delete(stream.name).catch(() => false);
    await nats.close();
  });

  test('when the first consumer closes mid-batch, then it finishes the event in hand only, and another instance of the durable gets all the rest', async () => {
    const logger = pino({ level: 'silent' });
    const [stopping, staying] = await Promise.all(
      [0, 1].map(() => connectJetStreamBus({ url: NATS_URL!, name: 'close-test', stream, logger })),
    );
    buses.push(stopping!, staying!);
    for (let i = 0; i < 20; i++) await stopping!.publish(`test-close-${suffix}.placed`, new Uint8Array([i]), randomUUID());
    const handledByStopping: number[] = [];
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    // Handed back at once when they were waiting in the batch; ones still on the wire when it
    // closed come back after ack_wait (3 s here).
    const subscription = await stopping!.subscribe({
      durable: 'close-test',
      subject: `test-close-${suffix}.>`,
      ackWaitMs: 3_000,
      handler: async (event) => {
        handledByStopping.push(event.data[0]!);
        // The first event is in hand when the subscription closes; any later one would be handled at once.
        if (handledByStopping.length > 1) return;
        started();
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await firstStarted;
    const closed = subscription.close();
    release();
    await closed;

    const handledByStaying = new Set<number>();
    await staying!.subscribe({
      durable: 'close-test',
      subject: `test-close-${suffix}.>`,
      ackWaitMs: 3_000,
      handler: async (event) => void handledByStaying.add(event.data[0]!),
    });
    const deadline = Date.now() + 15_000;
    while (handledByStaying.size < 19 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(handledByStopping).toHaveLength(1);
    expect([...handledByStaying].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== handledByStopping[0]),
    );
  });
});
