import path from 'node:path';
import { REPO_ROOT } from '../../../scripts/lib/subgraph-databases';
import { runProcess } from './run-process';

/**
 * scripts/lib/prisma-schema-engine.ts's `diffDatamodels`, run in a child process: the engine
 * package is an ES module that imports WebAssembly, which jest's CommonJS module runtime cannot
 * load (tsx, which the scripts run under, can).
 */
export async function diffDatamodels(from: string | null, to: string): Promise<string> {
  const result = await runProcess(process.execPath, ['--import', 'tsx', path.join(__dirname, 'diff-datamodels-cli.ts')], {
    cwd: REPO_ROOT,
    input: JSON.stringify({ from, to }),
  });
  if (result.code !== 0) throw new Error(`diffDatamodels failed (exit ${result.code}): ${result.stderr}`);
  return result.stdout;
}
