import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** The subgraphs that own a database, and where their Prisma schema and migrations live. */
export const SUBGRAPH_DATABASES = {
  users: {
    schema: path.join(REPO_ROOT, 'prisma/users/schema.prisma'),
    migrations: path.join(REPO_ROOT, 'prisma/users/migrations'),
    /** Variable `npm run migrate` reads this subgraph's URL from. */
    urlVariable: 'USERS_DATABASE_URL',
  },
  orders: {
    schema: path.join(REPO_ROOT, 'prisma/orders/schema.prisma'),
    migrations: path.join(REPO_ROOT, 'prisma/orders/migrations'),
    urlVariable: 'ORDERS_DATABASE_URL',
  },
} as const;

export type SubgraphName = keyof typeof SUBGRAPH_DATABASES;

export function isSubgraphName(name: string | undefined): name is SubgraphName {
  return name !== undefined && Object.hasOwn(SUBGRAPH_DATABASES, name);
}
