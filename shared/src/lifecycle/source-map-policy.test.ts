import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const run = promisify(execFile);

/** Starts Node the way the services start (tsx, then the telemetry preload) and reports whether source maps are on. */
async function sourceMapsEnabled(nodeFlags: string[], env: Record<string, string> = {}): Promise<boolean> {
  const { stdout } = await run(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', '--import', '@fedshop/shared/telemetry/register', '-e', 'console.log(process.sourceMapsEnabled)'],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim()) as boolean;
}

describe('source-map policy of the services\' preload', () => {
  test('when a service starts as the images start it, then source maps are off although tsx turns them on', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', 'console.log(process.sourceMapsEnabled)'], {
      cwd: REPO_ROOT,
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('true');
    expect(await sourceMapsEnabled([])).toBe(false);
  });

  test('when Node is asked for source maps (npm start, or an operator debugging), then they stay on', async () => {
    expect(await sourceMapsEnabled(['--enable-source-maps'])).toBe(true);
    expect(await sourceMapsEnabled([], { NODE_OPTIONS: '--enable-source-maps' })).toBe(true);
  });
});
