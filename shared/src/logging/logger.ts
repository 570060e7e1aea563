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
  /**
   * Stdout lines are written in batches of at least this many bytes, and at the latest
   * {@link LOG_FLUSH_INTERVAL_MS} after they were logged; 0 writes each line as soon as the
   * previous write finished. Default {@link DEFAULT_LOG_BATCH_BYTES}.
   */
  batchBytes?: number;
}

/** 4 KiB: ~10–20 request lines per write(2) instead of one (bench/NOTES-issue-18.md). */
export const DEFAULT_LOG_BATCH_BYTES = 4096;
/** The longest a logged line waits in the batch before it is written. */
export const LOG_FLUSH_INTERVAL_MS = 250;

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
  // Written asynchronously and in batches: a write(2) per request line was still 3–10 % of the
  // gateway's CPU under load (bench/NOTES-issue-18.md). A batch is written once it holds
  // `batchBytes`, or by the flush timer, so a quiet service's last line waits at most
  // LOG_FLUSH_INTERVAL_MS; pino flushes what is left synchronously when the process exits,
  // process.exit() included.
  const batchBytes = options.batchBytes ?? DEFAULT_LOG_BATCH_BYTES;
  const destination = pino.destination({ dest: 1, sync: false, minLength: batchBytes });
  if (batchBytes > 0) {
    const timer = setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS);
    timer.unref();
    destination.on('close', () => clearInterval(timer));
  }
  return pino(pinoOptions, destination);
}
