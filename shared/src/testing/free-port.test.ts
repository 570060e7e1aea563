import { createServer } from 'node:net';
import { freePort } from './free-port';

describe('freePort', () => {
  test("when 200 ports are asked for at once, then all are distinct, in this worker's slice, and can be listened on", async () => {
    const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    expect(new Set(ports).size).toBe(200);
    const worker = Number(process.env.JEST_WORKER_ID ?? '1');
    const first = 20_000 + ((worker - 1) % 8) * 1_500;
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(first);
      expect(port).toBeLessThan(first + 1_500);
    }
    const servers = await Promise.all(
      ports.slice(0, 20).map(
        (port) =>
          new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
            const server = createServer();
            server.once('error', reject);
            server.listen(port, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});
