/**
 * A service's own PostgreSQL: pool, readiness, migrations, pool metrics. The embedded cluster used
 * when no DATABASE_URL is given is a development tool, loaded only then (`./embedded-postgres`).
 */
export * from './database';
export * from './migrations';
export * from './pool-metrics';
export * from './migrate-command';
