import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import type { Logger } from 'pino';

/**
 * A migration applier that writes exactly the bookkeeping Prisma Migrate writes
 * (`_prisma_migrations`, checksum = sha256 hex of migration.sql), so `prisma migrate deploy`
 * and `prisma migrate status` agree with it on machines that have Prisma's native engine.
 * Ours needs no native engine: the services apply their migrations at start in development
 * and `npm run migrate` applies them for deploys.
 */

export interface Migration {
  /** Folder name, e.g. `20261125120000_init`; applied in lexicographic order. */
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma computes it. */
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file changed since (Prisma warns about these too). */
  edited: string[];
  /** Migrations Prisma recorded as started but never finished; they block deploys until resolved. */
  failed: string[];
}

/** Prisma Migrate's advisory lock key, so our applier and Prisma's never run at once. */
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export function readMigrations(migrationsDir: string): Migration[] {
  if (!existsSync(migrationsDir)) throw new Error(`No migrations folder at ${migrationsDir}`);
  return readdirSync(migrationsDir)
    .filter((entry) => statSync(path.join(migrationsDir, entry)).isDirectory())
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: checksumOf(sql) };
    });
}

interface BookkeepingRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function readBookkeeping(pool: Pick<Pool, 'query'>): Promise<BookkeepingRow[] | null> {
  const exists = await pool.query<{ exists: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`);
  if (!exists.rows[0]?.exists) return null;
  const result = await pool.query<BookkeepingRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  return result.rows;
}

function compare(migrations: Migration[], rows: BookkeepingRow[]): MigrationStatus {
  const live = rows.filter((row) => row.rolled_back_at === null);
  const finished = new Map(live.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row]));
  const failed = live.filter((row) => row.finished_at === null).map((row) => row.migration_name);
  return {
    applied: migrations.filter((m) => finished.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !finished.has(m.name) && !failed.includes(m.name)).map((m) => m.name),
    edited: migrations.filter((m) => finished.has(m.name) && finished.get(m.name)?.checksum !== m.checksum).map((m) => m.name),
    failed,
  };
}

/** Where the database stands relative to the migrations folder (used by readiness checks). */
export async function getMigrationStatus(pool: Pick<Pool, 'query'>, migrationsDir: string): Promise<MigrationStatus> {
  const migrations = readMigrations(migrationsDir);
  const rows = (await readBookkeeping(pool)) ?? [];
  return compare(migrations, rows);
}

/**
 * Applies pending migrations in order, each in its own transaction together with its
 * bookkeeping row: a failing migration leaves neither half-applied schema nor a failed row.
 */
export async function applyMigrations(pool: Pool, migrationsDir: string, logger: Logger): Promise<string[]> {
  const migrations = readMigrations(migrationsDir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_BOOKKEEPING_TABLE);
    const status = compare(migrations, (await readBookkeeping(client)) ?? []);
    if (status.failed.length > 0) {
      throw new Error(`Migrations ${status.failed.join(', ')} failed earlier and must be resolved first (prisma migrate resolve).`);
    }
    for (const name of status.edited) {
      logger.warn({ migration: name }, 'an applied migration was edited after it was applied');
    }
    const applied: string[] = [];
    for (const migration of migrations.filter((m) => status.pending.includes(m.name))) {
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, NULL, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      logger.info({ migration: migration.name }, 'migration applied');
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    client.release();
  }
}
