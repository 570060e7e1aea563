import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

/**
 * A service's database connection pool, read from the pg pool at every scrape:
 * `db_client_connections{state="used"|"idle"}`, `db_client_connections_waiting` (queries
 * queued for a connection: above zero for long means the pool is too small or the database
 * too slow) and `db_client_connections_max`.
 */
export function observePool(registry: Registry, pool: pg.Pool): void {
  new Gauge({
    name: 'db_client_connections',
    help: 'Connections of the database pool, by state (used / idle).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'used' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  new Gauge({
    name: 'db_client_connections_waiting',
    help: 'Queries waiting for a connection of the database pool.',
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  new Gauge({
    name: 'db_client_connections_max',
    help: 'Size limit of the database pool.',
    registers: [registry],
    collect() {
      this.set(pool.options.max ?? 10);
    },
  });
}
