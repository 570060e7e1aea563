/**
 * Wakes the feed readers waiting in this process (long polls of ListOrderEvents) when the relay
 * released events, so a consumer hears of an event as soon as it is in the feed instead of on
 * its reader's next look. Readers served by another replica than the relay's still see events
 * at their next look (every OUTBOX_POLL_MS).
 */
export interface FeedSignal {
  /** Events were released: every waiting reader looks again. */
  notify: () => void;
  /**
   * Resolves after `ms` or on the next `notify` with true (look again), or with false when
   * `signal` aborts or the signal is closed (answer now).
   */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
  /** Ends every wait and every future one at once (the service is stopping: long polls answer now). */
  close(): void;
}

export function createFeedSignal(): FeedSignal {
  let waiters = new Set<() => void>();
  let closed = false;
  const notify = () => {
    const woken = waiters;
    waiters = new Set();
    for (const wake of woken) wake();
  };
  return {
    notify,
    wait(ms, signal) {
      if (closed || signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          waiters.delete(done);
          resolve(!closed && !signal?.aborted);
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        waiters.add(done);
      });
    },
    close() {
      closed = true;
      notify();
    },
  };
}
