import { attemptDelayMs } from './sign-in-throttle';

describe('attemptDelayMs', () => {
  const policy = { delayAfter: 3, delayMs: 500 };

  test.each([
    [0, 0],
    [2, 0],
    [3, 500],
    [4, 1_000],
    [5, 2_000],
    [7, 8_000],
    [9, 8_000],
    [50, 8_000],
  ])('when an email has %i failures, then the next attempt waits %i ms', (failures, expected) => {
    expect(attemptDelayMs(failures, policy)).toBe(expected);
  });
});
