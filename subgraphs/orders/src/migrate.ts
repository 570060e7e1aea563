/**
 * `node dist/migrate.js`: applies the orders database's pending migrations from DATABASE_URL and
 * exits; what deploys run before the service starts (compose's one-shot container, the
 * Kubernetes Job). It loads only the migration applier, not the service.
 */
import { runMigrateCommand } from '@fedshop/shared/database';
import { ORDERS_MIGRATIONS_DIR } from './migrations';

runMigrateCommand({ service: 'orders', migrationsDir: ORDERS_MIGRATIONS_DIR });
