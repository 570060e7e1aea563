import pino from 'pino';
import { createPool, ensureDatabaseExists } from './database';
import { applyMigrations } from './migrations';

/**
 * Applies a database's pending migrations for a deploy (creating the database if the server
 * lacks it) and resolves to the names applied. Prisma's own bookkeeping under Prisma's advisory
 * lock: safe to run concurrently, and `prisma migrate status` agrees.
 */
export async function migrateDatabase(url: string, migrationsDir: string): Promise<string[]> {
  await ensureDatabaseExists(url);
  const pool = createPool(url, { max: 1, applicationName: 'fedshop-migrate' });
  try {
    return await applyMigrations(pool, migrationsDir, pino({ level: 'warn' }));
  } finally {
    await pool.end();
  }
}

export interface MigrateCommandOptions {
  /** The subgraph whose database this is (for messages). */
  service: string;
  migrationsDir: string;
  /** Default `process.env`: the command reads DATABASE_URL. */
  env?: Record<string, string | undefined>;
}

/**
 * The body of a subgraph's `dist/migrate.js` (the image's migration command: compose's one-shot
 * container, the Kubernetes Job): migrates the database at DATABASE_URL and exits 0 (applied or
 * up to date), 2 (no DATABASE_URL) or 1 (a migration failed).
 */
export function runMigrateCommand(options: MigrateCommandOptions): void {
  const url = (options.env ?? process.env).DATABASE_URL?.trim();
  if (!url) {
    console.error(`${options.service}: set DATABASE_URL to the database to migrate`);
    process.exit(2);
  }
  migrateDatabase(url, options.migrationsDir).then(
    (applied) => {
      console.log(applied.length === 0 ? `${options.service}: up to date` : `${options.service}: applied ${applied.join(', ')}`);
    },
    (error: unknown) => {
      console.error(`${options.service}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
