import type { Logger } from 'pino';
import { createLogger } from '../logging/logger';
import type { TelemetrySettings } from '../telemetry/telemetry-config';

export interface StoppableService {
  stop(): Promise<void>;
}

/**
 * Runs a service as a process: starts it, stops it cleanly on SIGTERM/SIGINT (waiting for a
 * start in progress first, so an embedded database is never orphaned), and exits non-zero
 * with one clear line when it cannot start. A second signal forces the exit.
 */
export function runService(
  name: string,
  logger: Logger,
  start: () => Promise<StoppableService>,
  /** Exit anyway this long after the first signal (10 s), whatever is still running. */
  shutdownTimeoutMs = 10_000,
): void {
  let stoppingSince: number | undefined;
  let started: Promise<StoppableService> | undefined;
  const shutdown = (signal: string) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C reaches a process both from the terminal and from npm: only a later, deliberate
      // second signal forces the exit (which may leave an embedded database to be adopted next run).
      if (Date.now() - stoppingSince < 3_000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, `${name} shutting down`);
    setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, `${name} did not stop within ${shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    (started ?? Promise.reject(new Error('not started')))
      .then((service) => service.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, `${name} did not stop cleanly`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Started by `npm start` with an IPC channel: if that parent dies, stop rather than linger.
  if (process.send) process.on('disconnect', () => shutdown('parent exited'));
  started = start();
  started.catch((error: unknown) => {
    logger.fatal({ err: error }, `${name} failed to start: ${(error as Error).message}`);
    process.exit(1);
  });
}

type ServiceConfig = {
  nodeEnv: string;
  log: { level: string; pretty: boolean; batchBytes?: number };
  telemetry: TelemetrySettings;
  shutdownTimeoutMs?: number;
};

export interface ServiceMainOptions<C extends ServiceConfig> {
  name: string;
  version: string;
  /** Parses the environment; a ConfigError's lines are printed as they are. */
  loadConfig: () => C;
  start: (config: C, options: { logger: Logger }) => Promise<StoppableService>;
  /** Whether the service installed library instrumentations first (its `instrumentation.ts`); default true. */
  instrumentsLibraries?: boolean;
}

/**
 * The `if (require.main === module)` body of every service: parse config once (exit 1 with
 * one line per bad variable), build the root logger, start tracing (one tracer provider per
 * process, so here and not in the start functions tests run side by side), run the service
 * until a signal, and flush the last spans after it stopped.
 */
export function runServiceMain<C extends ServiceConfig>(options: ServiceMainOptions<C>): void {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (error) {
    console.error(`${options.name}: ${(error as Error).message}`);
    process.exit(1);
  }
  const logger = createLogger({
    service: options.name,
    version: options.version,
    level: config.log.level,
    pretty: config.log.pretty,
    batchBytes: config.log.batchBytes,
  });
  // Required here, not imported at the top: only a service process needs the tracing SDK, not
  // every module and test that imports @fedshop/shared.
  const { startTelemetry } = require('../telemetry/start-telemetry') as typeof import('../telemetry/start-telemetry');
  const telemetry = startTelemetry({
    service: options.name,
    version: options.version,
    environment: config.nodeEnv,
    settings: config.telemetry,
    logger,
    ...(options.instrumentsLibraries === false ? { instrumentsLibraries: false } : {}),
  });
  runService(
    options.name,
    logger,
    async () => {
      const service = await options.start(config, { logger });
      return {
        async stop() {
          await service.stop();
          await telemetry.shutdown();
        },
      };
    },
    config.shutdownTimeoutMs,
  );
}
