import { spawn } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.join(__dirname, 'run-embedded-postgres.ts');

export interface PostgresProcess {
  urlFor(database: string): string;
  /** Stops the cluster (fast shutdown: connections are cut) and resolves once it is gone. */
  stop(): Promise<void>;
}

/** An embedded PostgreSQL cluster in a child process that a test can stop and start again. */
export function startPostgresProcess(dataDir: string, port: number): Promise<PostgresProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dataDir, String(port)], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) {
        resolve({
          urlFor: (database) => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
          async stop() {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}):\n${output}`)));
  });
}
