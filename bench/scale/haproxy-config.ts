/**
 * The HAProxy configuration of the scale-out rig: one frontend per load-balanced endpoint (the
 * gateways' HTTP, each subgraph's HTTP and gRPC), each backend a fixed list of server slots
 * health-checked on the replica's `GET /readyz`. A slot with no replica yet starts `disabled`
 * (maintenance): the rig enables it when a surge replica comes up in it, as a Deployment's
 * `maxSurge: 1` adds a pod before removing one.
 */

/** One place a replica can run: the ports it serves on. */
export interface ServerSlot {
  /** Server name in HAProxy (`gateway-0`, …). */
  name: string;
  /** Where this backend sends requests (the replica's HTTP or gRPC port). */
  port: number;
  /** The replica's HTTP port, where `/readyz` is asked (the same as `port` for HTTP backends). */
  checkPort: number;
  /** Starts in maintenance: no replica in the slot yet. */
  disabled?: boolean;
}

export interface BalancedEndpoint {
  /** Frontend and backend name (`gateway`, `users-http`, `users-grpc`, …). */
  name: string;
  /** Where clients connect (on 127.0.0.1). */
  listenPort: number;
  /** `http`: HTTP/1.1 both sides. `grpc`: HTTP/2 cleartext both sides, each call balanced on its own. */
  protocol: 'http' | 'grpc';
  slots: ServerSlot[];
}

export interface HaproxyConfigOptions {
  endpoints: BalancedEndpoint[];
  /** The runtime API's UNIX socket (enable, drain, state of each server). */
  statsSocket: string;
  /** Health-check interval, ms (500): a killed replica is out after `fall` misses. */
  checkIntervalMs?: number;
  /** Consecutive failed checks that take a server out (2). */
  fall?: number;
  /** Consecutive passed checks that bring it back (1). */
  rise?: number;
}

/**
 * Renders haproxy.cfg. Request retries are limited to what is safe for each kind of traffic:
 * a connection that could not be made is always retried on another server (`option
 * redispatch`: nothing was sent); a gRPC call that got no answer at all is retried too, since
 * both RPCs between the subgraphs are reads. An HTTP request that reached a replica which then
 * died is never resent by the proxy (it may be a mutation): the client sees 502 and decides,
 * as a client of any load balancer must.
 */
export function renderHaproxyConfig(options: HaproxyConfigOptions): string {
  const inter = options.checkIntervalMs ?? 500;
  const lines = [
    'global',
    `  stats socket ${options.statsSocket} mode 600 level admin`,
    '  maxconn 4096',
    "  # Many replicas' /readyz are asked every half second: keep the check traffic spread.",
    '  spread-checks 20',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    "  # Longer than the clients' own idle timeout (undici: 4 s), so the client always closes an idle",
    '  # connection first and never sends a request on one the proxy is closing.',
    '  timeout http-keep-alive 30s',
    '  timeout check 2s',
    '  retries 3',
    '  option redispatch 1',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    `  default-server inter ${inter} fall ${options.fall ?? 2} rise ${options.rise ?? 1}`,
    '',
  ];
  for (const endpoint of options.endpoints) {
    const grpc = endpoint.protocol === 'grpc';
    lines.push(
      `frontend ${endpoint.name}`,
      `  bind 127.0.0.1:${endpoint.listenPort}${grpc ? ' proto h2' : ''}`,
      ...(grpc
        ? ['  # gRPC channels stay open between calls (keepalive pings every 30 s).', '  timeout client 10m']
        : ['  option forwardfor']),
      `  default_backend ${endpoint.name}`,
      '',
      `backend ${endpoint.name}`,
      '  balance roundrobin',
      `  retry-on ${grpc ? 'conn-failure empty-response' : 'conn-failure'}`,
      ...endpoint.slots.map((slot) =>
        [
          `  server ${slot.name} 127.0.0.1:${slot.port}`,
          // Calls go over h2; the check asks the replica's HTTP port over HTTP/1.1.
          ...(grpc ? ['proto h2', 'check', `port ${slot.checkPort}`, 'check-proto h1'] : ['check']),
          ...(slot.disabled ? ['disabled'] : []),
        ].join(' '),
      ),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
