import pino from 'pino';
import { AppError, notFound, serviceUnavailable } from '../errors/app-error';
import { createResilientCaller } from './resilient-caller';

const logger = pino({ level: 'silent' });
const down = () => Promise.reject(serviceUnavailable('down'));

describe('resilient caller', () => {
  test('when a read fails on transport, then it is retried up to maxAttempts and then fails', async () => {
    const caller = createResilientCaller({ downstream: 'x', logger, maxAttempts: 3, baseRetryDelayMs: 1, breakerFailures: 100 });
    let attempts = 0;
    await expect(caller.idempotent(() => (attempts++, down()))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(attempts).toBe(3);
  });

  test('when a read fails once on transport, then the retry answers', async () => {
    const caller = createResilientCaller({ downstream: 'x', logger, baseRetryDelayMs: 1 });
    let attempts = 0;
    const result = await caller.idempotent(() => (attempts++ === 0 ? down() : Promise.resolve('ok')));
    expect(result).toBe('ok');
    expect(attempts).toBe(2);
  });

  test('when the downstream answers with a domain error, then it is neither retried nor counted against the breaker', async () => {
    const caller = createResilientCaller({ downstream: 'x', logger, breakerFailures: 2, baseRetryDelayMs: 1 });
    let attempts = 0;
    for (let i = 0; i < 5; i++) {
      await expect(caller.idempotent(() => (attempts++, Promise.reject(notFound('nope'))))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(attempts).toBe(5);
    expect(caller.state()).toBe('closed');
  });

  test('when a write fails on transport, then it is never retried', async () => {
    const caller = createResilientCaller({ downstream: 'x', logger, maxAttempts: 5, baseRetryDelayMs: 1 });
    let attempts = 0;
    await expect(caller.once(() => (attempts++, down()))).rejects.toBeInstanceOf(AppError);
    expect(attempts).toBe(1);
  });

  test('when consecutive transport failures reach the threshold, then the breaker opens and calls fail at once without reaching the downstream', async () => {
    const states: string[] = [];
    const caller = createResilientCaller({
      downstream: 'x',
      logger,
      maxAttempts: 1,
      breakerFailures: 3,
      breakerHalfOpenAfterMs: 60_000,
      onBreakerStateChange: (state) => states.push(state),
    });
    for (let i = 0; i < 3; i++) await expect(caller.idempotent(down)).rejects.toBeInstanceOf(AppError);
    expect(caller.state()).toBe('open');
    let reached = false;
    const error = await caller.idempotent(async () => (reached = true)).catch((e: unknown) => e);
    expect(reached).toBe(false);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryable: true } });
    expect(states).toEqual(['open']);
  });

  test('when the half-open delay has passed and the probe succeeds, then the breaker closes again', async () => {
    const caller = createResilientCaller({ downstream: 'x', logger, maxAttempts: 1, breakerFailures: 1, breakerHalfOpenAfterMs: 30 });
    await expect(caller.idempotent(down)).rejects.toBeInstanceOf(AppError);
    expect(caller.state()).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await expect(caller.idempotent(() => Promise.resolve('back'))).resolves.toBe('back');
    expect(caller.state()).toBe('closed');
  });

  test('when failures go on for long, then the retry budget caps the extra load on the downstream', async () => {
    const caller = createResilientCaller({ downstream: 'x', logger, maxAttempts: 3, baseRetryDelayMs: 1, breakerFailures: 10_000 });
    let attempts = 0;
    const calls = 100;
    for (let i = 0; i < calls; i++) await caller.idempotent(() => (attempts++, down())).catch(() => undefined);
    // Without a budget: 300 attempts. With 20 % plus a reserve of 10: at most 100 + 20 + 10.
    expect(attempts).toBeLessThanOrEqual(calls + calls * 0.2 + 10);
    expect(attempts).toBeGreaterThan(calls);
  });
});
