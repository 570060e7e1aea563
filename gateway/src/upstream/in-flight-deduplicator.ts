/**
 * Identical calls that overlap in time share one execution: while a call for a key is
 * pending, another `run` with that key joins it instead of starting a second one. Not a
 * cache: the entry is gone as soon as the call settles, so the next call starts afresh, and a
 * failure reaches every caller that joined. What it shares must be safe to share (immutable,
 * or copied by each caller).
 */
export class InFlightDeduplicator<T> {
  private readonly pending = new Map<string, Promise<T>>();

  /** Starts `call`, or joins the pending call with the same key (then `joined` is true). */
  run(key: string, call: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const pending = this.pending.get(key);
    if (pending) return { result: pending, joined: true };
    const result = call();
    this.pending.set(key, result);
    // Registered before any caller's own reaction, so it has run by the time they resume.
    const settle = () => {
      this.pending.delete(key);
    };
    result.then(settle, settle);
    return { result, joined: false };
  }

  /** Calls under way (for tests and diagnostics). */
  get size(): number {
    return this.pending.size;
  }
}
