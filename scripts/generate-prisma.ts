/**
 * `npm run prisma:generate`: regenerates each subgraph's Prisma client from its
 * schema.prisma (output committed under subgraphs/<name>/src/generated/prisma).
 *
 * Prisma's CLI insists on locating its native schema engine before any command, and
 * downloads it when missing; generation itself never uses it. Pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips the download, so this works offline.
 */
import { execFileSync } from 'node:child_process';
import { SUBGRAPH_DATABASES, REPO_ROOT } from './lib/subgraph-databases';

const prismaCli = require.resolve('prisma/build/index.js');
for (const [name, { schema }] of Object.entries(SUBGRAPH_DATABASES)) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? require.resolve('prisma/package.json'),
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  console.log(`generated the ${name} Prisma client`);
}
