/** pino logging with redaction and request/trace fields on every line. */
export * from './logger';
