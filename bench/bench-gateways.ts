export type GatewayId =
  | 'ours'
  | 'ours-cache'
  | 'ours-cache-replica'
  | 'ours-linelog'
  | 'ours-alltraces'
  | 'ours-lean'
  | 'ours-nodedup'
  | 'ours-nosubdedup'
  | 'ours-sourcemaps'
  | 'apollo'
  | 'hive'
  | 'hive-nodedup';

/** The gateways the benchmark can run, in report order; those `byDefault` run unless --gateway says otherwise. */
export const GATEWAYS: { id: GatewayId; label: string; byDefault: boolean }[] = [
  // Ours as the production overrides run it: traces of one request in ten exported (PRODUCTION_TRACE_SAMPLING).
  { id: 'ours', label: 'ours (fedshop gateway)', byDefault: true },
  // Ours with its response cache on (in memory): what the cache is worth, against ours without it.
  { id: 'ours-cache', label: 'ours, response cache on', byDefault: true },
  // A second replica of ours-cache (its own memory cache), for the cross-replica purge measurement (bench/purge-latency.ts).
  { id: 'ours-cache-replica', label: 'ours, response cache on, second replica', byDefault: false },
  // Ours writing its log lines one by one as before issue 18 (LOG_BATCH_BYTES=0): what batching saves.
  { id: 'ours-linelog', label: 'ours, log lines unbatched', byDefault: false },
  // Ours recording and exporting a trace of every request (the services' default sampler).
  { id: 'ours-alltraces', label: 'ours, every request traced', byDefault: false },
  // Ours with rate limits off, no trace export and no per-request log lines: what those cost (auth stays on).
  { id: 'ours-lean', label: 'ours, limits/traces/request logs off', byDefault: false },
  // Ours without sharing identical in-flight subgraph queries: like for like with the bare Apollo Gateway.
  { id: 'ours-nodedup', label: 'ours, no in-flight dedup', byDefault: false },
  // Ours with one upstream subscription per client subscription (SUBSCRIPTION_DEDUPLICATION=false): what sharing is worth.
  { id: 'ours-nosubdedup', label: 'ours, no subscription dedup', byDefault: false },
  // Ours with Node's source maps on (stack traces name TypeScript files and lines): what that costs.
  { id: 'ours-sourcemaps', label: 'ours, source maps on', byDefault: false },
  { id: 'apollo', label: 'bare Apollo Gateway', byDefault: true },
  { id: 'hive', label: 'Hive Gateway', byDefault: true },
  // Hive without sharing identical in-flight subgraph queries: shows what that one default is worth.
  { id: 'hive-nodedup', label: 'Hive Gateway, no in-flight dedup', byDefault: false },
];

/** Ours or a variant of it, as opposed to the peers it is compared with. */
export function isOurs(id: GatewayId): boolean {
  return id.startsWith('ours');
}

/**
 * With --profile, the gateways run under --cpu-prof: the first of ours in the run (ours, else a
 * variant of it) and the bare Apollo Gateway when it runs, so that what ours spends beyond
 * Apollo's can be read area by area.
 */
export function profiledGatewayIds(gateways: readonly GatewayId[]): GatewayId[] {
  const ours = gateways.find(isOurs);
  return [...(ours ? [ours] : []), ...gateways.filter((id) => id === 'apollo')];
}

/** Where a profiled gateway's CPU profile is written, under the run's profile directory. */
export function profileNameOf(id: GatewayId): string {
  return isOurs(id) ? 'gateway' : `gateway-${id}`;
}
