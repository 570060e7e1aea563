import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { captureLogger } from '../testing/test-logger';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { applyMigrations, getMigrationStatus, readMigrations } from './migrations';

const USERS_MIGRATIONS = path.resolve(__dirname, '../../../prisma/users/migrations');
const USERS_INIT = '20261125121107_init';
/** Every committed users migration, in order (the list grows as the schema does). */
const USERS_ALL = readMigrations(USERS_MIGRATIONS).map((migration) => migration.name);

let databases: TestDatabase[] = [];
let pools: pg.Pool[] = [];
let tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await Promise.all(databases.map((database) => database.drop()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  databases = [];
  pools = [];
  tempDirs = [];
});

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase('migrations');
  databases.push(database);
  return database;
}

function poolFor(database: TestDatabase): pg.Pool {
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  pools.push(pool);
  return pool;
}

/** A migrations folder of our own: `{ name: sql }`, one subfolder per migration like Prisma's. */
function migrationsFolder(migrations: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-migrations-'));
  tempDirs.push(dir);
  writeFileSync(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (const [name, sql] of Object.entries(migrations)) writeMigration(dir, name, sql);
  return dir;
}

function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}

async function bookkeeping(pool: pg.Pool) {
  const result = await pool.query<{
    id: string;
    checksum: string;
    finished_at: Date | null;
    migration_name: string;
    logs: string | null;
    rolled_back_at: Date | null;
    started_at: Date;
    applied_steps_count: number;
  }>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
  return result.rows;
}

const GATE_LOCK = 4242;

/**
 * Resolves once `count` sessions of this database wait on an advisory lock; rejects if `running`
 * fails first. Polls on an already open session: opening new ones can queue behind the appliers' DDL.
 */
async function untilAdvisoryWaiters(client: pg.PoolClient, count: number, running: Promise<unknown>): Promise<void> {
  let failure: unknown;
  running.catch((error: unknown) => (failure = error ?? new Error('applier failed')));
  for (;;) {
    if (failure) throw failure;
    const result = await client.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (result.rows[0]!.waiting >= count) return;
  }
}

async function tableExists(pool: pg.Pool, table: string): Promise<boolean> {
  const result = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  return result.rows[0]!.exists;
}

describe('applyMigrations', () => {
  test('when the users migrations are applied twice, then they are applied once and the schema exists', async () => {
    const pool = poolFor(await freshDatabase());
    const { logger } = captureLogger();

    const first = await applyMigrations(pool, USERS_MIGRATIONS, logger);
    const second = await applyMigrations(pool, USERS_MIGRATIONS, logger);

    expect(first).toEqual(USERS_ALL);
    expect(first[0]).toBe(USERS_INIT);
    expect(second).toEqual([]);
    expect(await bookkeeping(pool)).toHaveLength(USERS_ALL.length);
    expect(await tableExists(pool, 'users')).toBe(true);
  });

  test('when migrations are applied, then _prisma_migrations has exactly the columns and types Prisma Migrate creates', async () => {
    const pool = poolFor(await freshDatabase());
    await applyMigrations(pool, USERS_MIGRATIONS, captureLogger().logger);

    const columns = await pool.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable
         FROM information_schema.columns
        WHERE table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
    );
    const primaryKey = await pool.query(
      `SELECT a.attname AS column_name
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = '"_prisma_migrations"'::regclass AND i.indisprimary`,
    );

    // Prisma's schema engine: id VARCHAR(36) PK, checksum VARCHAR(64), finished_at TIMESTAMPTZ,
    // migration_name VARCHAR(255), logs TEXT, rolled_back_at TIMESTAMPTZ,
    // started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0.
    expect(columns.rows).toEqual([
      { column_name: 'id', data_type: 'character varying', character_maximum_length: 36, is_nullable: 'NO' },
      { column_name: 'checksum', data_type: 'character varying', character_maximum_length: 64, is_nullable: 'NO' },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'YES' },
      { column_name: 'migration_name', data_type: 'character varying', character_maximum_length: 255, is_nullable: 'NO' },
      { column_name: 'logs', data_type: 'text', character_maximum_length: null, is_nullable: 'YES' },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'YES' },
      { column_name: 'started_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'NO' },
      { column_name: 'applied_steps_count', data_type: 'integer', character_maximum_length: null, is_nullable: 'NO' },
    ]);
    expect(primaryKey.rows).toEqual([{ column_name: 'id' }]);
  });

  test('when a migration is applied, then its row holds what Prisma writes (uuid id, sha256 of migration.sql, finished, one step)', async () => {
    const pool = poolFor(await freshDatabase());
    const before = new Date();
    await applyMigrations(pool, USERS_MIGRATIONS, captureLogger().logger);

    const expectedChecksum = createHash('sha256')
      .update(readFileSync(path.join(USERS_MIGRATIONS, USERS_INIT, 'migration.sql')))
      .digest('hex');
    const row = (await bookkeeping(pool)).find((entry) => entry.migration_name === USERS_INIT);
    expect(row).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      checksum: expectedChecksum,
      finished_at: expect.any(Date),
      migration_name: USERS_INIT,
      logs: null,
      rolled_back_at: null,
      started_at: expect.any(Date),
      applied_steps_count: 1,
    });
    expect(row!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 60_000);
  });

  test('when a migration fails, then neither its schema changes nor a bookkeeping row remain and the error names it', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({
      '20260101000000_first': 'CREATE TABLE "first_table" ("id" INTEGER PRIMARY KEY);',
      '20260102000000_broken':
        'CREATE TABLE "half_done" ("id" INTEGER PRIMARY KEY);\nALTER TABLE "first_table" ADD COLUMN "note" TEXT;\nALTER TABLE "no_such_table" ADD COLUMN "x" INTEGER;',
    });

    await expect(applyMigrations(pool, dir, captureLogger().logger)).rejects.toThrow(
      /Migration 20260102000000_broken failed: .*no_such_table/,
    );

    expect(await tableExists(pool, 'first_table')).toBe(true);
    expect(await tableExists(pool, 'half_done')).toBe(false);
    const noteColumn = await pool.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'first_table' AND column_name = 'note'`,
    );
    expect(noteColumn.rowCount).toBe(0);
    expect((await bookkeeping(pool)).map((row) => row.migration_name)).toEqual(['20260101000000_first']);
    expect(await getMigrationStatus(pool, dir)).toEqual({
      applied: ['20260101000000_first'],
      pending: ['20260102000000_broken'],
      edited: [],
      failed: [],
    });
  });

  test('when a failed migration is fixed, then the next run applies only it', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({
      '20260101000000_first': 'CREATE TABLE "first_table" ("id" INTEGER PRIMARY KEY);',
      '20260102000000_second': 'ALTER TABLE "nope" ADD COLUMN "x" INTEGER;',
    });
    await expect(applyMigrations(pool, dir, captureLogger().logger)).rejects.toThrow(/20260102000000_second/);

    writeMigration(dir, '20260102000000_second', 'ALTER TABLE "first_table" ADD COLUMN "x" INTEGER;');

    await expect(applyMigrations(pool, dir, captureLogger().logger)).resolves.toEqual(['20260102000000_second']);
    expect((await bookkeeping(pool)).map((row) => row.migration_name)).toEqual(['20260101000000_first', '20260102000000_second']);
  });

  test('when several appliers run at once, then each migration is applied exactly once', async () => {
    const database = await freshDatabase();
    const dir = migrationsFolder({
      // The first migration waits at a gate the test holds, so every applier is started before any finishes.
      '20260101000000_a': `SELECT pg_advisory_xact_lock(${GATE_LOCK});\nCREATE TABLE "a" ("id" INTEGER PRIMARY KEY);`,
      '20260102000000_b': 'CREATE TABLE "b" ("id" INTEGER PRIMARY KEY, "a_id" INTEGER REFERENCES "a"("id"));',
      '20260103000000_c': 'CREATE TYPE "Mood" AS ENUM (\'HAPPY\', \'SAD\');\nALTER TABLE "a" ADD COLUMN "mood" "Mood";',
    });
    const gate = poolFor(database);
    const gateClient = await gate.connect();
    await gateClient.query('SELECT pg_advisory_lock($1)', [GATE_LOCK]);
    // One pool per applier: like several service replicas starting together.
    const appliers = [poolFor(database), poolFor(database), poolFor(database), poolFor(database)];

    const running = Promise.all(appliers.map((pool) => applyMigrations(pool, dir, captureLogger().logger)));
    running.catch(() => undefined);
    try {
      // One applier waits at the gate, the others on the migration lock (or, were it missing, at the gate too).
      await untilAdvisoryWaiters(gateClient, appliers.length, running);
    } finally {
      await gateClient.query('SELECT pg_advisory_unlock($1)', [GATE_LOCK]);
      gateClient.release();
    }
    const results = await running;

    expect(results.flat().sort()).toEqual(['20260101000000_a', '20260102000000_b', '20260103000000_c']);
    const rows = await bookkeeping(appliers[0]!);
    expect(rows.map((row) => row.migration_name)).toEqual(['20260101000000_a', '20260102000000_b', '20260103000000_c']);
  });

  test('when an applied migration was edited, then it is not re-applied and a warning is logged', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({ '20260101000000_first': 'CREATE TABLE "first_table" ("id" INTEGER PRIMARY KEY);' });
    await applyMigrations(pool, dir, captureLogger().logger);
    writeMigration(dir, '20260101000000_first', 'CREATE TABLE "first_table" ("id" BIGINT PRIMARY KEY);');
    const captured = captureLogger();

    await expect(applyMigrations(pool, dir, captured.logger)).resolves.toEqual([]);

    expect(captured.lines()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        migration: '20260101000000_first',
        msg: 'an applied migration was edited after it was applied',
      }),
    );
  });

  test('when Prisma recorded an unfinished migration, then applying refuses and names it', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({ '20260101000000_first': 'CREATE TABLE "first_table" ("id" INTEGER PRIMARY KEY);' });
    await applyMigrations(pool, migrationsFolder({}), captureLogger().logger); // creates the bookkeeping table only
    await pool.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ('00000000-0000-4000-8000-000000000001', $1, '20260101000000_first', now(), 0)`,
      ['0'.repeat(64)],
    );

    await expect(applyMigrations(pool, dir, captureLogger().logger)).rejects.toThrow(/20260101000000_first failed earlier/);
    expect(await tableExists(pool, 'first_table')).toBe(false);
    expect((await getMigrationStatus(pool, dir)).failed).toEqual(['20260101000000_first']);
  });
});

describe('getMigrationStatus', () => {
  test('when nothing was ever applied (no bookkeeping table), then every migration is pending', async () => {
    const pool = poolFor(await freshDatabase());

    await expect(getMigrationStatus(pool, USERS_MIGRATIONS)).resolves.toEqual({ applied: [], pending: USERS_ALL, edited: [], failed: [] });
  });

  test('when the migrations were applied, then they are reported applied and none pending', async () => {
    const pool = poolFor(await freshDatabase());
    await applyMigrations(pool, USERS_MIGRATIONS, captureLogger().logger);

    await expect(getMigrationStatus(pool, USERS_MIGRATIONS)).resolves.toEqual({ applied: USERS_ALL, pending: [], edited: [], failed: [] });
  });

  test('when a new migration is added after applying, then only it is pending', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({ '20260101000000_first': 'CREATE TABLE "t" ("id" INTEGER);' });
    await applyMigrations(pool, dir, captureLogger().logger);
    writeMigration(dir, '20260102000000_second', 'ALTER TABLE "t" ADD COLUMN "x" INTEGER;');

    await expect(getMigrationStatus(pool, dir)).resolves.toEqual({
      applied: ['20260101000000_first'],
      pending: ['20260102000000_second'],
      edited: [],
      failed: [],
    });
  });

  test('when an applied migration.sql changes (even by one byte), then it is reported edited and still applied', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({ '20260101000000_first': 'CREATE TABLE "t" ("id" INTEGER);' });
    await applyMigrations(pool, dir, captureLogger().logger);
    writeMigration(dir, '20260101000000_first', 'CREATE TABLE "t" ("id" INTEGER);\n');

    await expect(getMigrationStatus(pool, dir)).resolves.toEqual({
      applied: ['20260101000000_first'],
      pending: [],
      edited: ['20260101000000_first'],
      failed: [],
    });
  });

  test('when a migration was rolled back (rolled_back_at set), then it is pending again', async () => {
    const pool = poolFor(await freshDatabase());
    const dir = migrationsFolder({ '20260101000000_first': 'CREATE TABLE "t" ("id" INTEGER);' });
    await applyMigrations(pool, dir, captureLogger().logger);
    await pool.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now()`);

    await expect(getMigrationStatus(pool, dir)).resolves.toMatchObject({ applied: [], pending: ['20260101000000_first'] });
  });

  test('when the migrations folder does not exist, then it throws naming the folder', async () => {
    const pool = poolFor(await freshDatabase());
    const missing = path.join(os.tmpdir(), 'fedshop-no-such-migrations-folder');

    await expect(getMigrationStatus(pool, missing)).rejects.toThrow(`No migrations folder at ${missing}`);
  });
});
