import path from 'node:path';

/**
 * The orders database's migrations (Prisma's format, `prisma/orders/migrations` at the repository
 * root, next to the schema they come from). The same relative path from `src/` and `dist/`.
 */
export const ORDERS_MIGRATIONS_DIR = path.resolve(__dirname, '../../../prisma/orders/migrations');
