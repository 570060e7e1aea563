#!/usr/bin/env node
// Used by each image's `deps` stage (and by test/delivery/production-dependencies.test.ts, which
// installs the way the images do):
//
//   node narrow-to-workspace.cjs <workspace>     e.g. gateway, subgraphs/orders
//
// Rewrites the root package.json in the current directory so that it names only @fedshop/shared
// and that workspace, with no development tools; `npm install --omit=dev` then installs exactly
// the production dependencies those two need, at the lockfile's versions. `npm ci --workspace`
// is not enough: it installs every workspace's production tree from the lockfile (the gateway
// would get pg, Prisma and gRPC) and keeps the root's dev tools that are optional peers of a
// production package (typescript, the prisma CLI).
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

const workspace = process.argv[2];
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
if (!workspace || !manifest.workspaces.includes(workspace)) {
  console.error(`usage: narrow-to-workspace.cjs <${manifest.workspaces.join('|')}>`);
  process.exit(2);
}
manifest.workspaces = ['shared', workspace];
delete manifest.devDependencies;
delete manifest.scripts;
writeFileSync('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
