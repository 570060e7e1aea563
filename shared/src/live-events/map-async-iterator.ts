/**
 * Maps an async iterator one value at a time. Unlike an async generator, whose `return()`
 * waits until the generator reaches its next `yield` (forever, when it is waiting for an
 * event that never comes), this one's `return()` reaches `source.return()` at once: a
 * subscription stopped by its client releases what it holds right away.
 *
 * `map` answers null to skip a value, or `{ value, last: true }` to end after this value.
 * `onEnd` runs once, however the iteration ends.
 */
export function mapAsyncIterator<T, U>(
  source: AsyncIterator<T>,
  map: (value: T) => Promise<{ value: U; last?: boolean } | null>,
  onEnd?: () => void,
): AsyncIterableIterator<U> {
  let done = false;
  const finish = async () => {
    if (done) return;
    done = true;
    onEnd?.();
    await source.return?.();
  };
  const iterator: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      while (!done) {
        const next = await source.next();
        if (next.done || done) break;
        let mapped: { value: U; last?: boolean } | null;
        try {
          mapped = await map(next.value);
        } catch (error) {
          await finish();
          throw error;
        }
        if (mapped === null) continue;
        if (mapped.last) await finish();
        return { done: false, value: mapped.value };
      }
      await finish();
      return { done: true, value: undefined };
    },
    async return(): Promise<IteratorResult<U>> {
      await finish();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
