import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Binds the server; rejects when the address cannot be had. Resolves the port bound. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** How long sockets and requests may stay open. */
export function applyTimeouts(server: Server, keepAliveTimeoutMs: number): void {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  // headersTimeout must exceed keepAliveTimeout or Node may cut a reused socket mid-request.
  server.headersTimeout = server.keepAliveTimeout + 5_000;
  server.requestTimeout = 60_000;
}

export interface Draining {
  /** Call first thing for every request, so that it ends its connection once the server is closing. */
  track(res: ServerResponse): void;
  /** Stops accepting connections, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/**
 * Closing without cutting requests off: keep-alive connections end as soon as their request is
 * answered, rather than at the grace deadline.
 */
export function createDraining(server: Server): Draining {
  let closing = false;
  return {
    track(res) {
      // Answer, then hang up, so keep-alive clients do not send more on this socket.
      if (closing) res.setHeader('connection', 'close');
      // A keep-alive socket that just went idle is closed now, not at the grace deadline.
      res.on('close', () => {
        if (closing) setImmediate(() => server.closeIdleConnections());
      });
    },
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
