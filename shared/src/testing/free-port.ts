import { createServer } from 'node:net';

/**
 * Ports handed out below the kernel's ephemeral range (Linux: 32768–60999). A port the OS picked
 * with `listen(0)` comes from that range, where any outgoing connection of any process may be
 * given it as its local port: a service restarted on "its" port could then find it taken
 * (EADDRINUSE). Below the range, only another listener can take it.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;
/**
 * Test runners' parallel workers (jest sets JEST_WORKER_ID, 1-based) each draw from a slice of
 * their own: two workers probing the same port at the same moment would both find it free.
 */
const SLICES = 8;
const SLICE_SIZE = Math.floor((LAST_PORT - FIRST_PORT) / SLICES);
/** Ports this process already handed out: free until their service listens, so never again. */
const handedOut = new Set<number>();

function slice(): { first: number; size: number } {
  const worker = Number.parseInt(process.env.JEST_WORKER_ID ?? '1', 10);
  const index = (Number.isInteger(worker) && worker > 0 ? worker - 1 : 0) % SLICES;
  return { first: FIRST_PORT + index * SLICE_SIZE, size: SLICE_SIZE };
}

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
  const { first, size } = slice();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = first + Math.floor(Math.random() * size);
    if (handedOut.has(port)) continue;
    // Taken before the probe, so concurrent calls of this process never probe the same port.
    handedOut.add(port);
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port found between ${first} and ${first + size - 1}`);
}
