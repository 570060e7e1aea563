/**
 * Applies pending migrations for deploys: `npm run migrate` (both subgraphs, from
 * USERS_DATABASE_URL and ORDERS_DATABASE_URL) or `npm run migrate -w subgraphs/<name>`
 * (one subgraph, from DATABASE_URL). Writes Prisma's own `_prisma_migrations` bookkeeping,
 * so `prisma migrate status` agrees. Safe to run concurrently: it takes Prisma's advisory lock.
 */
import pino from 'pino';
import { applyMigrations, createPool, ensureDatabaseExists } from '@fedshop/shared';
import { isSubgraphName, SUBGRAPH_DATABASES, type SubgraphName } from './lib/subgraph-databases';

async function migrate(subgraph: SubgraphName, url: string): Promise<void> {
  const logger = pino({ level: 'warn' });
  await ensureDatabaseExists(url);
  const pool = createPool(url, { max: 1, applicationName: 'fedshop-migrate' });
  try {
    const applied = await applyMigrations(pool, SUBGRAPH_DATABASES[subgraph].migrations, logger);
    console.log(applied.length === 0 ? `${subgraph}: up to date` : `${subgraph}: applied ${applied.join(', ')}`);
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined && !isSubgraphName(only)) {
    console.error(`usage: migrate.ts [${Object.keys(SUBGRAPH_DATABASES).join('|')}]`);
    process.exit(2);
  }
  const targets = only ? [only] : (Object.keys(SUBGRAPH_DATABASES) as SubgraphName[]);
  const urls = targets.map((subgraph) => {
    const variable = SUBGRAPH_DATABASES[subgraph].urlVariable;
    const url = process.env[variable] ?? (only ? process.env.DATABASE_URL : undefined);
    return { subgraph, url, variable: only ? `${variable} or DATABASE_URL` : variable };
  });
  const missing = urls.filter((target) => !target.url);
  if (missing.length > 0) {
    for (const target of missing) console.error(`${target.subgraph}: set ${target.variable} to the database to migrate`);
    console.error('(in development the services apply their migrations themselves at start)');
    process.exit(2);
  }
  for (const { subgraph, url } of urls) await migrate(subgraph, url!);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
