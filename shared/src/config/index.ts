/** Environment parsing (zod), once at boot: one line per bad variable. */
export * from './parse-env';
export * from './common-env';
