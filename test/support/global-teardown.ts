import { rmSync } from 'node:fs';
import type { RunningEmbeddedPostgres } from '../../shared/src/database/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__fedshopTestCluster as
    { cluster: RunningEmbeddedPostgres; dir: string } | undefined;
  if (!state) return;
  await state.cluster.stop();
  rmSync(state.dir, { recursive: true, force: true });
}
