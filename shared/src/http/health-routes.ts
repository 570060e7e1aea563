import type { RouteHandler } from './routes';
import { sendJson } from './send-json';

export interface ReadinessCheck {
  /** Name shown in the /readyz body, e.g. `database`. */
  name: string;
  /** Resolves when healthy; rejects (with a short message) when not. */
  check: () => Promise<void>;
}

export interface HealthRoutesOptions {
  /** The checks, or a function giving them (when the set can change, e.g. a reloaded supergraph). */
  checks: ReadinessCheck[] | (() => ReadinessCheck[]);
  /** Once true, /readyz answers 503 at once so load balancers drain this instance. */
  isShuttingDown: () => boolean;
  /** Per-check timeout; default 2 s. */
  timeoutMs?: number;
  /**
   * Facts shown in the /readyz body next to the checks, that never make the service unready
   * (e.g. `events: { transport: 'outbox-feed' }`); default none.
   */
  info?: () => Record<string, unknown>;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `GET /healthz`: the process is alive (always 200 while it can answer).
 * `GET /readyz`: 200 only when every check passes; the JSON body names each check's state.
 */
export function healthRoutes(options: HealthRoutesOptions): Record<string, RouteHandler> {
  return {
    'GET /healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    'GET /readyz': async (_req, res) => {
      if (options.isShuttingDown()) {
        return sendJson(res, 503, { status: 'unavailable', checks: { shutdown: 'shutting down' } });
      }
      const checks = typeof options.checks === 'function' ? options.checks() : options.checks;
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), options.timeoutMs ?? 2_000);
            return [name, 'ok'] as const;
          } catch (error) {
            return [name, `failing: ${(error as Error).message}`] as const;
          }
        }),
      );
      const healthy = results.every(([, state]) => state === 'ok');
      sendJson(res, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'unavailable',
        checks: Object.fromEntries(results),
        ...options.info?.(),
      });
    },
  };
}
