/**
 * Keeps a metric label's values bounded when they come from callers (GraphQL operation names,
 * error codes): the first `max` distinct well-formed values are kept as they are, anything
 * else is counted under `overflow`. Ids never become labels this way: only names that look
 * like names pass, and only so many of them.
 */
export interface BoundedLabel {
  (value: string): string;
}

export interface BoundedLabelOptions {
  /** Distinct values kept (100). */
  max?: number;
  /** What every other value becomes (`other`). */
  overflow?: string;
  /** What a value must look like to be kept as is (a GraphQL name of at most 64 characters). */
  pattern?: RegExp;
}

export function boundedLabel(options: BoundedLabelOptions = {}): BoundedLabel {
  const max = options.max ?? 100;
  const overflow = options.overflow ?? 'other';
  const pattern = options.pattern ?? /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max || !pattern.test(value)) return overflow;
    seen.add(value);
    return value;
  };
}
