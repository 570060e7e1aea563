/**
 * Contract: each subgraph's committed migrations build exactly the database its schema.prisma
 * describes. Database A gets the migrations (through our Prisma-compatible applier), database
 * B gets the SQL Prisma's own engine writes for schema.prisma from scratch; their catalogs must
 * match. The one thing Prisma cannot describe, CHECK constraints, is pinned separately.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '@fedshop/shared/database';
import { captureLogger, createTestDatabase, type TestDatabase } from '@fedshop/shared/testing';
import { REPO_ROOT, SUBGRAPH_DATABASES, type SubgraphName } from '../../scripts/lib/subgraph-databases';
import { diffDatamodels } from './support/diff-datamodels';

/** The hand-written CHECK constraints the migrations add, per subgraph (table, name, definition). */
const EXPECTED_CHECKS: Record<SubgraphName, { table: string; name: string; definition: string }[]> = {
  users: [],
  orders: [
    { table: 'order_items', name: 'order_items_quantity_range', definition: 'CHECK (((quantity >= 1) AND (quantity <= 100)))' },
    { table: 'orders', name: 'orders_total_cents_non_negative', definition: 'CHECK ((total_cents >= 0))' },
    { table: 'products', name: 'products_price_cents_non_negative', definition: 'CHECK ((price_cents >= 0))' },
    { table: 'products', name: 'products_stock_non_negative', definition: 'CHECK ((stock >= 0))' },
  ],
};

/** Prisma Migrate's bookkeeping table: only the migrated database has it. */
const BOOKKEEPING = '_prisma_migrations';

interface CatalogSnapshot {
  /** Everything Prisma's schema describes. */
  structure: {
    tables: unknown[];
    columns: unknown[];
    constraints: unknown[];
    indexes: unknown[];
    enums: unknown[];
    sequences: unknown[];
  };
  checks: { table: string; name: string; definition: string }[];
}

/** Rows of a catalog query whose `$1` is the bookkeeping table to leave out. */
async function rows<T = Record<string, unknown>>(pool: pg.Pool, sql: string): Promise<T[]> {
  return (await pool.query(sql, sql.includes('$1') ? [BOOKKEEPING] : [])).rows as T[];
}

/** The public schema's shape, read from information_schema and pg_catalog, in a stable order. */
async function snapshot(pool: pg.Pool): Promise<CatalogSnapshot> {
  const [tables, columns, constraints, indexes, enums, sequences, checks] = await Promise.all([
    rows(
      pool,
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> $1
        ORDER BY table_name`,
    ),
    // Column order is left out on purpose: a column added by a later migration lands last,
    // wherever the model declares it.
    rows(
      pool,
      `SELECT table_name, column_name, data_type, udt_name, character_maximum_length, numeric_precision,
              numeric_scale, datetime_precision, is_nullable, column_default, is_identity, is_generated
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> $1
        ORDER BY table_name, column_name`,
    ),
    rows(
      pool,
      `SELECT cl.relname AS table_name, co.conname, co.contype, pg_get_constraintdef(co.oid) AS definition
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
        WHERE co.connamespace = 'public'::regnamespace AND co.contype <> 'c' AND cl.relname <> $1
        ORDER BY cl.relname, co.conname`,
    ),
    rows(
      pool,
      `SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> $1
        ORDER BY tablename, indexname`,
    ),
    rows(
      pool,
      `SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = 'public'::regnamespace
        GROUP BY t.typname ORDER BY t.typname`,
    ),
    rows(
      pool,
      `SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
        WHERE sequence_schema = 'public'
        ORDER BY sequence_name`,
    ),
    rows<{ table: string; name: string; definition: string }>(
      pool,
      `SELECT cl.relname AS table, co.conname AS name, pg_get_constraintdef(co.oid) AS definition
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
        WHERE co.connamespace = 'public'::regnamespace AND co.contype = 'c' AND cl.relname <> $1
        ORDER BY cl.relname, co.conname`,
    ),
  ]);
  return { structure: { tables, columns, constraints, indexes, enums, sequences }, checks };
}

/** A fresh database with its pool; `close` ends the pool and drops the database. */
async function freshDatabase(label: string): Promise<{ database: TestDatabase; pool: pg.Pool; close(): Promise<void> }> {
  const database = await createTestDatabase(label);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    database,
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

/** schema.prisma with one more column on its first model, and no migration for it. */
function withUnmigratedColumn(schema: string): string {
  const changed = schema.replace(/^(\s*)@@map\(/m, '$1contractProbe String? @map("contract_probe")\n$1@@map(');
  expect(changed).not.toBe(schema);
  return changed;
}

describe.each(Object.keys(SUBGRAPH_DATABASES) as SubgraphName[])('the %s migrations', (name) => {
  const { schema: schemaPath, migrations } = SUBGRAPH_DATABASES[name];
  const schema = readFileSync(schemaPath, 'utf8');
  const cleanups: (() => Promise<void>)[] = [];
  let migrated: CatalogSnapshot;
  let fromSchema: CatalogSnapshot;

  /** A fresh database built by running `sql` (Prisma's from-empty script for a datamodel). */
  async function buildFromSql(label: string, sql: string): Promise<CatalogSnapshot> {
    const target = await freshDatabase(label);
    cleanups.push(target.close);
    await target.pool.query(sql);
    return snapshot(target.pool);
  }

  beforeAll(async () => {
    const a = await freshDatabase(`contract_${name}_migrated`);
    cleanups.push(a.close);
    const applied = await applyMigrations(a.pool, migrations, captureLogger('migrations').logger);
    expect(applied.length).toBeGreaterThan(0);
    migrated = await snapshot(a.pool);

    const sql = await diffDatamodels(null, schema);
    expect(sql).not.toBe('');
    fromSchema = await buildFromSql(`contract_${name}_from_schema`, sql);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('when the migrations and schema.prisma each build a fresh database, then tables, columns, keys, indexes and enums are identical', () => {
    expect(migrated.structure.tables.length).toBeGreaterThan(0);
    expect(migrated.structure.columns.length).toBeGreaterThan(0);
    expect(migrated.structure).toEqual(fromSchema.structure);
  });

  test('when the migrations are applied, then the only CHECK constraints are the hand-written ones Prisma cannot describe', () => {
    expect(migrated.checks).toEqual(EXPECTED_CHECKS[name]);
    expect(fromSchema.checks).toEqual([]);
  });

  test('when schema.prisma changes without a migration, then the comparison notices', async () => {
    const changed = withUnmigratedColumn(schema);
    expect(await diffDatamodels(schema, schema)).toBe('');
    expect(await diffDatamodels(schema, changed)).toMatch(/ADD COLUMN\s+"contract_probe" TEXT/);

    const drifted = await buildFromSql(`contract_${name}_drifted`, await diffDatamodels(null, changed));

    expect(drifted.structure).not.toEqual(migrated.structure);
    expect(drifted.structure.columns).toContainEqual(expect.objectContaining({ column_name: 'contract_probe' }));
  });

  // `npm run migration:create` diffs from schema.prisma as of the last commit that touched the
  // migrations folder: that only works if no commit changes the schema without a migration.
  test('when schema.prisma is committed, then it describes the same database as at the last commit that touched the migrations', async () => {
    const schemaFile = path.relative(REPO_ROOT, schemaPath);
    const lastMigrationCommit = git('log', '-1', '--format=%H', '--', path.relative(REPO_ROOT, migrations));
    expect(lastMigrationCommit).toMatch(/^[0-9a-f]{40}$/);

    const atHead = git('show', `HEAD:${schemaFile}`);
    const atLastMigration = git('show', `${lastMigrationCommit}:${schemaFile}`);

    expect(await diffDatamodels(atLastMigration, atHead)).toBe('');
  });
});
