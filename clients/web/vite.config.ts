/**
 * The storefront's build and development server.
 * - `npm run build -w clients/web`: static files in dist/ (served by the fedshop/web image).
 * - `npm run dev -w clients/web` (or the root `npm start`): the development server, proxying
 *   /graphql (WebSocket upgrades included) to the gateway at GATEWAY_URL.
 * Production builds get the operation ids of clients/persisted-query-manifest.json through
 * `virtual:persisted-query-ids` and send nothing else; development sends automatic persisted
 * queries, which the development gateway learns as it goes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const MANIFEST = path.resolve(import.meta.dirname, '../persisted-query-manifest.json');
const VIRTUAL_ID = 'virtual:persisted-query-ids';

/** `import ids from 'virtual:persisted-query-ids'`: name → id in builds (bodies left out), null in development. */
function persistedQueryIds(): Plugin {
  let production = false;
  return {
    name: 'fedshop-persisted-query-ids',
    configResolved(config) {
      production = config.command === 'build';
    },
    resolveId: (id) => (id === VIRTUAL_ID ? `\0${VIRTUAL_ID}` : undefined),
    load(id) {
      if (id !== `\0${VIRTUAL_ID}`) return undefined;
      if (!production) return 'export default null;';
      this.addWatchFile(MANIFEST);
      const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { operations: { id: string; name: string }[] };
      return `export default ${JSON.stringify(Object.fromEntries(manifest.operations.map((operation) => [operation.name, operation.id])))};`;
    },
  };
}

const gateway = process.env.GATEWAY_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [react(), persistedQueryIds()],
  server: {
    port: Number(process.env.WEB_PORT ?? 3000),
    strictPort: true,
    proxy: {
      // Same origin for the browser: the session cookie (path /graphql) is first-party, no CORS.
      '/graphql': { target: gateway, ws: true },
    },
  },
  preview: { port: Number(process.env.WEB_PORT ?? 3000), strictPort: true, proxy: { '/graphql': { target: gateway, ws: true } } },
  build: {
    outDir: 'dist',
    // Source maps stay out of what is served; hashed file names let the server cache assets forever.
    sourcemap: false,
    assetsInlineLimit: 0,
  },
});
