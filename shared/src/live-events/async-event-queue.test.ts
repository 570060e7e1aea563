import { createAsyncEventQueue, QueueOverflowError } from './async-event-queue';
import { mapAsyncIterator } from './map-async-iterator';

describe('createAsyncEventQueue', () => {
  test('when events are pushed before and while the reader waits, then it reads them in order', async () => {
    const queue = createAsyncEventQueue<number>({ capacity: 5 });
    queue.push(1);
    const waiting = queue.next();
    queue.push(2);
    expect(await waiting).toEqual({ done: false, value: 1 });
    expect(await queue.next()).toEqual({ done: false, value: 2 });
  });

  test('when more than `capacity` events wait, then the push is refused and the reader gets QueueOverflowError, its registration undone once', async () => {
    let returned = 0;
    const queue = createAsyncEventQueue<number>({ capacity: 2, onReturn: () => returned++ });
    expect([queue.push(1), queue.push(2), queue.push(3)]).toEqual([true, true, false]);
    await expect(queue.next()).rejects.toBeInstanceOf(QueueOverflowError);
    expect(await queue.next()).toEqual({ done: true, value: undefined });
    expect(queue.push(4)).toBe(false);
    await queue.return!();
    expect(returned).toBe(1);
  });

  test('when it is ended, then the reader still gets what was queued, then the end', async () => {
    const queue = createAsyncEventQueue<string>({ capacity: 3 });
    queue.push('a');
    queue.end();
    expect(await queue.next()).toEqual({ done: false, value: 'a' });
    expect(await queue.next()).toEqual({ done: true, value: undefined });
  });
});

describe('mapAsyncIterator', () => {
  test('when the reader stops while the source waits for an event, then the source is returned at once and the waiting read ends', async () => {
    let released = false;
    const source = createAsyncEventQueue<number>({ capacity: 3, onReturn: () => (released = true) });
    const mapped = mapAsyncIterator(source, async (value) => ({ value: value * 10 }));
    const waiting = mapped.next();
    await mapped.return!();
    expect(released).toBe(true);
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  test('when `map` skips a value or marks one last, then the skipped one is not read and nothing follows the last', async () => {
    const source = createAsyncEventQueue<number>({ capacity: 5 });
    for (const value of [1, 2, 3, 4]) source.push(value);
    const mapped = mapAsyncIterator(source, async (value) => (value === 2 ? null : { value, last: value === 3 }));
    const read: number[] = [];
    for await (const value of mapped) read.push(value);
    expect(read).toEqual([1, 3]);
    expect(source.ended).toBe(true);
  });
});
