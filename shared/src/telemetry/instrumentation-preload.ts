/** Set by `registerServiceInstrumentations`; a global symbol, so any copy of this module sees the same answer. */
const PRELOADED = Symbol.for('fedshop.telemetry.instrumentationsPreloaded');

type Holder = { [PRELOADED]?: true };

/** Records that the instrumentations are installed; false when they already were (installed once per process). */
export function markInstrumentationsPreloaded(): boolean {
  const holder = globalThis as Holder;
  if (holder[PRELOADED]) return false;
  holder[PRELOADED] = true;
  return true;
}

/** Whether `registerServiceInstrumentations` ran before the service's modules loaded (startTelemetry warns otherwise). */
export function instrumentationsPreloaded(): boolean {
  return (globalThis as Holder)[PRELOADED] === true;
}
