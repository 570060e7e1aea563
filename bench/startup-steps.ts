/**
 * The stack's start-up steps: each timed (seconds, for the report) and logged as it ends; some
 * run in the background while the next ones start.
 */
export interface StartupSteps {
  /** Seconds each step took, by name. */
  timings: Record<string, number>;
  timed<T>(step: string, work: () => Promise<T>): Promise<T>;
  /**
   * A step left running while others start, awaited further on: a failure meanwhile is not
   * unhandled, and surfaces where it is awaited.
   */
  inBackground<T>(step: Promise<T>): Promise<T>;
  /** Once something failed: every background step settled, so that the teardown also stops what they were starting. */
  settled(): Promise<void>;
}

export function createStartupSteps(log: (line: string) => void): StartupSteps {
  const timings: Record<string, number> = {};
  const background: Promise<unknown>[] = [];
  return {
    timings,
    async timed(step, work) {
      const started = Date.now();
      const result = await work();
      timings[step] = Math.round((Date.now() - started) / 100) / 10;
      log(`${step}: ${timings[step]} s`);
      return result;
    },
    inBackground(step) {
      step.catch(() => undefined);
      background.push(step);
      return step;
    },
    async settled() {
      await Promise.allSettled(background);
    },
  };
}
