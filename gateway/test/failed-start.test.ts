import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import path from 'node:path';

const REDIS_URL = process.env.REDIS_URL;
const NATS_URL = process.env.NATS_URL;
const describeWithBrokers = REDIS_URL && NATS_URL ? describe : describe.skip;
if (!REDIS_URL || !NATS_URL) console.info('REDIS_URL or NATS_URL not set: the failed-start test is skipped (CI sets both)');

const REPO_ROOT = path.resolve(__dirname, '../..');
const START_ONCE = path.join(__dirname, 'support/start-once.ts');
/** How long a process with nothing left open may take to end: Redis and NATS connections say goodbye first. */
const EXIT_GRACE_MS = 20_000;

describeWithBrokers('a gateway start that fails halfway', () => {
  let taken: Server;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  test('when its HTTP port is taken, then the start fails and closes what it had opened (Apollo Server, Redis, NATS): the process ends by itself', async () => {
    const port = (taken.address() as { port: number }).port;
    const child = spawn(process.execPath, ['--conditions=@fedshop/source', '--import', 'tsx', START_ONCE], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        // Each holds a connection open from the start on: rate limits and APQ in Redis, the response cache's purges over NATS.
        REDIS_URL: REDIS_URL!,
        RESPONSE_CACHE: 'true',
        NATS_URL: NATS_URL!,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const failed = new Promise<void>((resolve) =>
      child.stdout.on('data', () => {
        if (output.includes('start failed')) resolve();
      }),
    );
    await Promise.race([failed, exited]);
    expect(output).toContain('start failed: EADDRINUSE');
    const ended = await Promise.race([
      exited,
      new Promise<string>((resolve) =>
        setTimeout(() => resolve('still running: the failed start left something open'), EXIT_GRACE_MS).unref(),
      ),
    ]);
    child.kill('SIGKILL');
    expect({ ended, output }).toMatchObject({ ended: 0 });
  });
});
