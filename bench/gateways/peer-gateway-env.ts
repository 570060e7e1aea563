import { readFileSync } from 'node:fs';

/** What a peer gateway process of the benchmark is started with. */
export interface PeerGatewayEnv {
  host: string;
  port: number;
  /** The committed supergraph with its routing URLs pointed at the running subgraphs. */
  supergraphSdl: string;
  /** Hive Gateway only: share one subgraph fetch among identical queries in flight (its default). DEDUPLICATE_INFLIGHT=false turns it off. */
  deduplicateInflight: boolean;
}

/**
 * Replaces the routing URL of each named subgraph in a supergraph's `@join__graph(name:, url:)`
 * directives, leaving the rest of the text untouched (the peers are given the very supergraph
 * our gateway serves, as USERS_URL/ORDERS_URL do for ours). Throws when a name is not in it.
 */
export function withSubgraphUrls(supergraphSdl: string, urls: Record<string, string>): string {
  let sdl = supergraphSdl;
  for (const [name, url] of Object.entries(urls)) {
    const pattern = new RegExp(`(@join__graph\\(\\s*name:\\s*"${name}"\\s*,\\s*url:\\s*")[^"]*(")`);
    if (!pattern.test(sdl)) throw new Error(`subgraph "${name}" is not in the supergraph`);
    sdl = sdl.replace(pattern, `$1${url}$2`);
  }
  return sdl;
}

/**
 * The one place the peer gateways read their environment: PORT, HOST (default 127.0.0.1),
 * SUPERGRAPH_PATH, USERS_URL, ORDERS_URL, DEDUPLICATE_INFLIGHT (default true). Fails with one
 * line per missing variable.
 */
export function readPeerGatewayEnv(env: Record<string, string | undefined> = process.env): PeerGatewayEnv {
  const missing = ['PORT', 'SUPERGRAPH_PATH', 'USERS_URL', 'ORDERS_URL'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(missing.map((name) => `${name}: required`).join('\n'));
  return {
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT),
    supergraphSdl: withSubgraphUrls(readFileSync(env.SUPERGRAPH_PATH!, 'utf8'), { users: env.USERS_URL!, orders: env.ORDERS_URL! }),
    deduplicateInflight: env.DEDUPLICATE_INFLIGHT !== 'false',
  };
}
