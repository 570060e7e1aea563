import pg from 'pg';
import type { Logger } from 'pino';
import { serviceUnavailable } from '../errors/app-error';
import type { RunningEmbeddedPostgres } from './embedded-postgres';
import { applyMigrations, getMigrationStatus } from './migrations';

/** How a service reaches its own database: the part of its config every subgraph shares. */
export interface DatabaseConfig {
  /** A PostgreSQL URL. When unset, an embedded cluster is started (see `embedded`). */
  url?: string;
  /** Used only when `url` is unset. */
  embedded: { dataDir: string; port: number; database: string };
  /** Apply pending migrations before serving (development default); deploys run `npm run migrate`. */
  migrateOnStart: boolean;
  /** Pool size. */
  poolMax: number;
}

export interface DatabaseOptions {
  migrationsDir: string;
  /** `application_name` shown in pg_stat_activity. */
  applicationName: string;
  logger: Logger;
  /** Called once per SQL statement (feeds the db_client_statements_total counter). */
  onStatement?: () => void;
}

export interface Database {
  pool: pg.Pool;
  url: string;
  /** Resolves when a trivial query succeeds; rejects with SERVICE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Resolves to the names of migrations not yet applied. */
  pendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}

/** Creates the database named in `url` if the server does not have it yet (fresh servers, CI, compose). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`No database name in ${target.origin}`);
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    // Another process created it between our probe and now: fine.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.end();
  }
}

/** A pg pool that counts statements; the connection-level hook sees every query Prisma sends. */
export function createPool(url: string, options: { max?: number; applicationName: string; onStatement?: () => void }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  if (options.onStatement) {
    const onStatement = options.onStatement;
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        onStatement();
        return query(...args);
      };
    });
  }
  return pool;
}

/**
 * The embedded cluster is a development tool (a beta package, with PostgreSQL binaries inside):
 * required only when no URL is given, and not installed in the images, whose config requires
 * DATABASE_URL in production.
 */
function loadEmbeddedPostgres(): typeof import('./embedded-postgres') {
  try {
    return require('./embedded-postgres') as typeof import('./embedded-postgres');
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') {
      throw new Error('DATABASE_URL is not set and embedded PostgreSQL (a development tool) is not installed here: set DATABASE_URL', {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Connects a service to its own database: the given URL, or an embedded cluster of its own
 * when none is given. Creates the database if missing and applies migrations when asked.
 */
export async function openDatabase(config: DatabaseConfig, options: DatabaseOptions): Promise<Database> {
  let embedded: RunningEmbeddedPostgres | undefined;
  let url = config.url;
  if (!url) {
    embedded = await loadEmbeddedPostgres().startEmbeddedPostgres({ ...config.embedded, logger: options.logger });
    url = embedded.urlFor(config.embedded.database);
  }
  try {
    await ensureDatabaseExists(url);
    const pool = createPool(url, { max: config.poolMax, applicationName: options.applicationName, onStatement: options.onStatement });
    if (config.migrateOnStart) await applyMigrations(pool, options.migrationsDir, options.logger);
    return {
      pool,
      url,
      async ping() {
        try {
          await pool.query('SELECT 1');
        } catch (error) {
          throw serviceUnavailable('The database is unreachable.', { cause: error });
        }
      },
      async pendingMigrations() {
        const status = await getMigrationStatus(pool, options.migrationsDir);
        return [...status.pending, ...status.failed];
      },
      async close() {
        await pool.end().catch(() => undefined);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
