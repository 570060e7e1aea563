/**
 * Child-process entry for `diffDatamodels`: reads `{ from, to }` as JSON on stdin and writes
 * the SQL to stdout. Run with `node --import tsx`; see diff-datamodels.ts for why.
 */
import { diffDatamodels } from '../../../scripts/lib/prisma-schema-engine';

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { from, to } = JSON.parse(input) as { from: string | null; to: string };
  process.stdout.write(await diffDatamodels(from, to));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
