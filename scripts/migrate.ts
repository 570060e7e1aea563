/**
 * Applies pending migrations from a checkout: `npm run migrate` (both subgraphs, from
 * USERS_DATABASE_URL and ORDERS_DATABASE_URL) or `npm run migrate -w subgraphs/<name>`
 * (one subgraph, from DATABASE_URL). Images run each subgraph's own `node dist/migrate.js`
 * (`subgraphs/<name>/src/migrate.ts`); both use the same applier. Writes Prisma's own `_prisma_migrations` bookkeeping,
 * so `prisma migrate status` agrees. Safe to run concurrently: it takes Prisma's advisory lock.
 */
import { migrateDatabase } from '@fedshop/shared/database';
import { isSubgraphName, SUBGRAPH_DATABASES, type SubgraphName } from './lib/subgraph-databases';

async function migrate(subgraph: SubgraphName, url: string): Promise<void> {
  const applied = await migrateDatabase(url, SUBGRAPH_DATABASES[subgraph].migrations);
  console.log(applied.length === 0 ? `${subgraph}: up to date` : `${subgraph}: applied ${applied.join(', ')}`);
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
