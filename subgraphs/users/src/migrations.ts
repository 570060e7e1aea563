import path from 'node:path';

/**
 * The users database's migrations (Prisma's format, `prisma/users/migrations` at the repository
 * root, next to the schema they come from). The same relative path from `src/` and `dist/`.
 */
export const USERS_MIGRATIONS_DIR = path.resolve(__dirname, '../../../prisma/users/migrations');
