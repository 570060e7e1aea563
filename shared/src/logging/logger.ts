import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { currentRequestScope } from '../context/request-scope';

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

/**
 * What every line written while serving a request carries, read at the moment it is written:
 * the request id, the verified user's id and the GraphQL operation (request scope), and the
 * trace and span ids of the active OpenTelemetry span (present even when spans are not
 * exported, so logs of one request can be joined across services by traceId).
 */
export function requestLogFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const scope = currentRequestScope();
  if (scope) {
    fields.requestId = scope.requestId;
    if (scope.userId) fields.userId = scope.userId;
    if (scope.operationName) fields.operation = scope.operationName;
  }
  const span = trace.getSpanContext(context.active());
  if (span && isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}

/** pino-pretty is a development tool: images do not install it, and then lines stay JSON. */
function prettyPrinterInstalled(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * The one way services build their root logger: JSON lines, redacted, with service and
 * version, and the request's ids on every line logged while serving it (`requestLogFields`;
 * a field given to the log call itself wins).
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = { service: options.service, version: options.version };
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base,
    mixin: requestLogFields,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty && prettyPrinterInstalled()) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,version' } },
    });
  }
  // Written asynchronously: a synchronous write(2) per line was 2–7 % of each service's CPU
  // under load (BENCHMARKS.md). Lines queue only while a write is in flight (no minimum batch
  // size, so a quiet service's last line is never held back), and pino flushes the queue
  // synchronously when the process exits, process.exit() included.
  return pino(pinoOptions, pino.destination({ dest: 1, sync: false }));
}
