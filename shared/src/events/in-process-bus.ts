import { withConsumedEventSpan } from '../telemetry/event-trace-context';
import type { DeliveredEvent, EventBus, PublishOptions, StreamSpec, SubscribeOptions, Subscription } from './event-bus';

interface StoredEvent {
  seq: number;
  subject: string;
  data: Uint8Array;
  id: string;
  traceparent: string | undefined;
}

function matches(pattern: string, subject: string): boolean {
  if (pattern.endsWith('.>')) return subject.startsWith(pattern.slice(0, -1));
  const parts = pattern.split('.');
  const target = subject.split('.');
  return parts.length === target.length && parts.every((part, i) => part === '*' || part === target[i]);
}

/**
 * The bus when no broker is configured: a log in memory with JetStream's semantics (message
 * id dedup, durable consumers with their own position, redelivery until acknowledged), so the
 * same code runs with nothing installed. It delivers only within this process: services in
 * separate processes (`npm start`) need NATS_URL to hear each other's events.
 */
export class InProcessBus implements EventBus {
  readonly kind = 'in-process' as const;
  private readonly log: StoredEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly consumers = new Map<string, { position: number; wake: () => void }>();
  private closed = false;

  constructor(
    private readonly stream: StreamSpec,
    /** Delay before redelivering an event whose handler failed, ms. */
    private readonly redeliveryDelayMs = 200,
  ) {}

  async publish(subject: string, data: Uint8Array, id: string, options?: PublishOptions): Promise<void> {
    if (this.closed) throw new Error('the event bus is closed');
    if (!this.stream.subjects.some((pattern) => matches(pattern, subject))) throw new Error(`no stream for subject ${subject}`);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.log.push({ seq: this.log.length + 1, subject, data, id, traceparent: options?.traceparent });
    for (const consumer of this.consumers.values()) consumer.wake();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const existing = this.consumers.get(options.durable);
    const state = { position: existing?.position ?? 0, wake: () => undefined as void, stopped: false };
    let wakeUp: (() => void) | undefined;
    state.wake = () => wakeUp?.();
    this.consumers.set(options.durable, state);
    const wanted = (event: StoredEvent) => matches(options.subject, event.subject);
    const loop = (async () => {
      const attempts = new Map<number, number>();
      while (!state.stopped && !this.closed) {
        const next = this.log.slice(state.position).find(wanted);
        if (!next) {
          state.position = this.log.length;
          await new Promise<void>((resolve) => (wakeUp = resolve));
          continue;
        }
        const tries = attempts.get(next.seq) ?? 0;
        const delivered: DeliveredEvent = {
          subject: next.subject,
          data: next.data,
          id: next.id,
          redeliveries: tries,
          traceparent: next.traceparent,
        };
        try {
          await withConsumedEventSpan(delivered, 'in-process', () => options.handler(delivered));
          attempts.delete(next.seq);
          state.position = next.seq;
        } catch {
          attempts.set(next.seq, tries + 1);
          await new Promise((resolve) => setTimeout(resolve, this.redeliveryDelayMs));
        }
      }
    })();
    return {
      pending: async () => this.log.slice(state.position).filter(wanted).length,
      close: async () => {
        state.stopped = true;
        wakeUp?.();
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const consumer of this.consumers.values()) consumer.wake();
  }
}
