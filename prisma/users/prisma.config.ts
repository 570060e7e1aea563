// Prisma CLI config for the users database, for machines that have Prisma's native engine:
//   DATABASE_URL=… npx prisma migrate status --config prisma/users/prisma.config.ts
//   DATABASE_URL=… npx prisma migrate deploy --config prisma/users/prisma.config.ts
// (`npm run migrate` does the same without the engine and writes the same bookkeeping.)
import { defineConfig, env } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: { url: env('DATABASE_URL') },
});
