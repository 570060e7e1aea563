/**
 * Preloaded right after tsx (first import of `@fedshop/shared/telemetry/register`, and on its
 * own by the benchmark's peer gateways): turns Node's source-map support back off unless Node
 * was started with `--enable-source-maps`.
 *
 * Why: tsx switches it on for the whole process, so Node keeps the source map of every module
 * it loads that ships one, and parses each one the first time a stack trace is formatted
 * through that file (tsx formats one on every `require`). Measured on the gateway
 * (BENCHMARKS.md): 65 MiB of live heap at start, ~150 MiB under load (1,923 parsed maps, most
 * of them node_modules'), and in a 512 MiB container (the manifests' limit, where V8 caps the heap at
 * ~260 MiB) the garbage collector then takes most of the CPU. Stack traces of our TypeScript
 * still name the file and function; only line and column are of the transpiled code.
 * `npm start` (development) passes `--enable-source-maps`, and so can an operator debugging
 * production (`NODE_OPTIONS=--enable-source-maps`).
 */
const asked = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--enable-source-maps');
if (!asked) process.setSourceMapsEnabled(false);

export {};
