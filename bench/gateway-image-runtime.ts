import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execForm, parseDockerfile, stageEnvironment } from '../test/delivery/support/dockerfile';

/** How the gateway's image starts Node: the flags of its CMD and the runtime tunables of its ENV. */
export interface ImageRuntime {
  /** Node's flags before the entry point, e.g. `--liftoff-only`. */
  nodeFlags: string[];
  /** The image's ENV without what the benchmark sets itself (where it listens, the mode): e.g. `MALLOC_ARENA_MAX`. */
  env: Record<string, string>;
}

/** Set by the benchmark for every process (production mode, 127.0.0.1, its own ports): never taken from the image. */
const SET_BY_THE_BENCHMARK = new Set(['NODE_ENV', 'HOST', 'PORT']);

/**
 * Read from gateway/Dockerfile's last stage, so the benchmark measures our gateway as the image
 * runs it (its allocator and V8 settings included), not as a bare `node dist/main.js` would.
 */
export function gatewayImageRuntime(): ImageRuntime {
  const dockerfile = parseDockerfile(readFileSync(path.resolve(__dirname, '../gateway/Dockerfile'), 'utf8'));
  const runtime = dockerfile.stages.at(-1)!;
  const cmd = runtime.instructions.filter((instruction) => instruction.keyword === 'CMD').at(-1);
  const command = cmd && execForm(cmd.args);
  if (!command || command[0] !== 'node' || command.at(-1) !== 'dist/main.js')
    throw new Error(`gateway/Dockerfile: expected CMD ["node", …flags, "dist/main.js"], found ${cmd?.args ?? 'none'}`);
  const env = Object.fromEntries(Object.entries(stageEnvironment(runtime)).filter(([name]) => !SET_BY_THE_BENCHMARK.has(name)));
  return { nodeFlags: command.slice(1, -1), env };
}
