import { registerHooks } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const fromExporter = (parentUrl: string) => new URL(parentUrl).pathname.includes('/node_modules/@opentelemetry/otlp-exporter-base/');
let routed = false;

/**
 * OpenTelemetry's OTLP/HTTP exporters load `node:http` (or `node:https`) with a dynamic
 * `import('http')`, for their request function and their agent. An ESM import of a Node module
 * reads every one of its exports, and `node:http`'s include the lazy `WebSocket`, `CloseEvent` and
 * `MessageEvent`, which load Node's bundled undici: 770 KB of source compiled at the first
 * export, a V8 compile peak of about 12 MiB that glibc's heap then keeps, and about 3 MiB of heap
 * for classes the exporter never uses (docs/adr/0010-gateway-memory.md). This sends those imports,
 * and only those (made from the exporter's own files), to exporter-http.ts / exporter-https.ts,
 * which hold just `Agent` and `request` from the same modules. Idempotent; once per process.
 */
export function routeExporterHttpImports(): void {
  if (routed) return;
  routed = true;
  // The compiled .js next to this file in production, the .ts source in development (tsx).
  const extension = path.extname(__filename);
  const subsets: Record<string, string> = {
    http: pathToFileURL(path.join(__dirname, `exporter-http${extension}`)).href,
    https: pathToFileURL(path.join(__dirname, `exporter-https${extension}`)).href,
  };
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const subset = subsets[specifier.replace(/^node:/, '')];
      // Imports only (a require of node:http reads no exports), from the exporter's own files only.
      if (subset && context.conditions?.includes('import') && context.parentURL?.startsWith('file:') && fromExporter(context.parentURL))
        return { url: subset, shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
}
