import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { loadSupergraph, type SupergraphSubgraph } from './load-supergraph';

export interface SupergraphSourceOptions {
  path: string;
  /** Routing URL overrides by subgraph name (USERS_URL, ORDERS_URL), applied to every version. */
  overrides: Record<string, string>;
  /** How often the file is checked for a new version, ms; 0 turns reloading off. */
  pollIntervalMs: number;
  logger: Logger;
  /** Counts reload attempts by result (`applied` / `rejected`). */
  reloads?: Counter<'result'>;
}

export interface SupergraphSource {
  /** For ApolloGateway's `supergraphSdl` option. */
  hook: SupergraphSdlHook;
  /** The subgraphs of the version being served (for readiness checks). */
  subgraphs(): SupergraphSubgraph[];
  /** The version being served: its SDL's SHA-256 (the response cache keys by it). */
  version(): string;
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Serves the supergraph file and picks up new versions without a restart: the file is
 * polled (robust to editors' atomic renames and Kubernetes ConfigMap symlink swaps, where
 * file watchers miss events). A version that does not load (unreadable, not a supergraph,
 * rejected by the gateway) is logged and the previous one keeps serving.
 */
export function createSupergraphSource(options: SupergraphSourceOptions): SupergraphSource {
  const { logger } = options;
  let served = loadSupergraph(options.path, options.overrides);
  let servedHash = hashOf(served.sdl);
  let lastStamp = '';

  const stampOf = () => {
    try {
      const stat = statSync(options.path);
      return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      return 'missing';
    }
  };
  lastStamp = stampOf();

  const hook: SupergraphSdlHook = async ({ update }) => {
    const poll = async () => {
      const stamp = stampOf();
      if (stamp === lastStamp) return;
      lastStamp = stamp;
      try {
        const next = loadSupergraph(options.path, options.overrides);
        const nextHash = hashOf(next.sdl);
        if (nextHash === servedHash) return;
        // Throws when the gateway cannot build a schema from it; then nothing changes.
        update(next.sdl);
        served = next;
        servedHash = nextHash;
        options.reloads?.inc({ result: 'applied' });
        logger.info({ path: options.path, subgraphs: next.subgraphs }, 'new supergraph loaded');
      } catch (error) {
        options.reloads?.inc({ result: 'rejected' });
        logger.warn({ err: error, path: options.path }, 'new supergraph rejected; still serving the previous one');
      }
    };
    let timer: NodeJS.Timeout | undefined;
    if (options.pollIntervalMs > 0) {
      timer = setInterval(() => void poll(), options.pollIntervalMs);
      timer.unref();
    }
    return {
      supergraphSdl: served.sdl,
      cleanup: async () => clearInterval(timer),
    };
  };

  return { hook, subgraphs: () => served.subgraphs, version: () => servedHash };
}
