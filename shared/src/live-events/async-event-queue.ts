/** Why a queue ended early: its reader fell behind by more than the queue holds. */
export class QueueOverflowError extends Error {
  constructor(readonly capacity: number) {
    super(`more than ${capacity} events waited to be read`);
    this.name = 'QueueOverflowError';
  }
}

export interface AsyncEventQueue<T> extends AsyncIterableIterator<T> {
  /**
   * Adds an event for the reader. Returns false, and ends the queue with a
   * {@link QueueOverflowError} for the reader, when `capacity` events already wait: a reader
   * that falls behind is cut off, never allowed to grow memory.
   */
  push(value: T): boolean;
  /** Ends the queue: the reader gets the events already queued, then the end (or `error`, thrown). */
  end(error?: Error): void;
  /** Events waiting to be read. */
  readonly size: number;
  /** True once ended (by `end`, an overflow, or the reader's `return`). */
  readonly ended: boolean;
}

/**
 * A bounded single-reader queue that is also an async iterator: the bridge between callbacks
 * that produce events (a broker subscription, an upstream socket) and the `for await` that
 * delivers them. `onReturn` runs once, when the reader stops (`return`, end, overflow), so
 * the producer's registration is always undone.
 */
export function createAsyncEventQueue<T>(options: { capacity: number; onReturn?: () => void }): AsyncEventQueue<T> {
  const buffer: T[] = [];
  let waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void } | undefined;
  let ended = false;
  let failure: Error | undefined;
  let returned = false;
  const finish = () => {
    if (returned) return;
    returned = true;
    options.onReturn?.();
  };
  const settleWaiting = () => {
    if (!waiting) return;
    const reader = waiting;
    waiting = undefined;
    if (buffer.length > 0) reader.resolve({ value: buffer.shift()!, done: false });
    else if (failure) reader.reject(failure);
    else reader.resolve({ value: undefined, done: true });
  };
  const queue: AsyncEventQueue<T> = {
    push(value) {
      if (ended) return false;
      if (waiting) {
        const reader = waiting;
        waiting = undefined;
        reader.resolve({ value, done: false });
        return true;
      }
      if (buffer.length >= options.capacity) {
        queue.end(new QueueOverflowError(options.capacity));
        return false;
      }
      buffer.push(value);
      return true;
    },
    end(error) {
      if (ended) return;
      ended = true;
      failure = error;
      // An overflow cuts the reader off at once; a plain end lets it read what is queued.
      if (error instanceof QueueOverflowError) buffer.length = 0;
      finish();
      settleWaiting();
    },
    get size() {
      return buffer.length;
    },
    get ended() {
      return ended;
    },
    next() {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift()!, done: false });
      if (ended) {
        if (failure) {
          const error = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      ended = true;
      buffer.length = 0;
      failure = undefined;
      finish();
      settleWaiting();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}
