import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Cuts every connection and drops new ones as they arrive: the target looks down. */
  cut(): Promise<void>;
  /** Passes connections through again. */
  restore(): Promise<void>;
  /** Holds what clients send (connections stay open, nothing reaches the target): the target looks stuck. */
  stall(): void;
  /** Forwards what was held, and everything after it. */
  unstall(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to `target` that a test can cut and restore, to take a dependency "down" without
 * touching it. It keeps listening while cut (new connections are closed at once): giving the
 * port back and listening again later raced other tests, whose outgoing connections can be
 * handed that same ephemeral port in between (EADDRINUSE).
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  let stalled = false;
  /** Each client connection and its connection to the target. */
  const clients = new Map<Socket, Socket>();
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
    clients.set(client, upstream);
    client.on('close', () => clients.delete(client));
    if (stalled) {
      client.unpipe(upstream);
      client.pause();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    async cut() {
      down = true;
      dropAll();
    },
    async restore() {
      down = false;
    },
    stall() {
      stalled = true;
      for (const [client, upstream] of clients) {
        client.unpipe(upstream);
        client.pause();
      }
    },
    unstall() {
      stalled = false;
      for (const [client, upstream] of clients) client.pipe(upstream);
    },
    async close() {
      down = true;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
