import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths pino blanks in every log line: credentials and personal data never reach the logs. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'email',
  '*.email',
  'passwordHash',
  '*.passwordHash',
  'variables.*.password',
  'variables.input.password',
  'variables.input.email',
];

export interface LoggerOptions {
  /** Service name, stamped on every line (e.g. `users`). */
  service: string;
  /** Service version, stamped on every line. */
  version: string;
  /** pino level; default `info`. */
  level?: string;
  /** Human-readable output through pino-pretty (development only); default false. */
  pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/** The one way services build their root logger: JSON lines, redacted, with service and version. */
export function createLogger(options: LoggerOptions): Logger {
  const base = { service: options.service, version: options.version };
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,version' } },
    });
  }
  return pino(pinoOptions);
}
