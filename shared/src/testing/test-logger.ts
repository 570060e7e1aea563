import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logging/logger';

export interface CapturedLogger {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, unknown>[];
}

/** A real (redacting) service logger whose lines are kept in memory for assertions instead of printed. */
export function captureLogger(service = 'test'): CapturedLogger {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ service, version: 'test', level: process.env.TEST_LOG_LEVEL ?? 'debug', destination });
  return { logger, lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
