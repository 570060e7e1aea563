/** Small domain helpers every service shares: time-ordered ids, display text rules. */
export * from './ids';
export * from './display-text';
