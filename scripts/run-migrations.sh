#!/usr/bin/env bash
# Applies pending database migrations before the services start: deploy hosts, CI, anything that
# is not `npm start` (in development the services migrate themselves at start).
#
#   USERS_DATABASE_URL=… ORDERS_DATABASE_URL=… scripts/run-migrations.sh   both subgraphs
#   DATABASE_URL=… scripts/run-migrations.sh users                          one (or USERS_DATABASE_URL)
#
# The same applier as `npm run migrate` and the images' migration command (`node dist/migrate.js`):
# Prisma's _prisma_migrations bookkeeping under Prisma's advisory lock, so concurrent runs are
# safe and `prisma migrate status` agrees. Exit codes: 0 applied or up to date, 2 usage or a
# missing URL, 1 a failed migration.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 1 ]; then
  echo "usage: scripts/run-migrations.sh [users|orders]" >&2
  exit 2
fi
exec node --conditions=@fedshop/source --import tsx scripts/migrate.ts "$@"
