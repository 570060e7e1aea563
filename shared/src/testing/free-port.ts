import { createServer } from 'node:net';

/**
 * Ports handed out below the kernel's ephemeral range (Linux: 32768–60999). A port the OS picked
 * with `listen(0)` comes from that range, where any outgoing connection of any process may be
 * given it as its local port: a service restarted on "its" port could then find it taken
 * (EADDRINUSE). Below the range, only another listener can take it.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port free right now on localhost (for services that must know a peer's port before it starts). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port found between ${FIRST_PORT} and ${LAST_PORT}`);
}
