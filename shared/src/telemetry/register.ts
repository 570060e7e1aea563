/**
 * Preloaded before a service's entry point by every start command (package scripts, `npm start`,
 * the images, the process tests):
 *
 *   node --import tsx --import @fedshop/shared/telemetry/register gateway/src/index.ts
 *
 * Why a preload: instrumentation-grpc and instrumentation-http patch `@grpc/grpc-js` and
 * `node:http` through require hooks when those are first loaded, and the generated gRPC clients
 * are built from `@grpc/grpc-js` while the service's modules load, so by the first line of
 * `src/index.ts` it would be too late. This file only installs those hooks; it reads no
 * configuration: spans are recorded once the service has parsed its config and `runServiceMain`
 * called `startTelemetry` (until then the instrumentations talk to OpenTelemetry's no-op API).
 * Before anything else loads, the source-map policy runs (source maps off unless Node was
 * started with `--enable-source-maps`; see that file for the numbers).
 */
import '../lifecycle/source-map-policy';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { markInstrumentationsPreloaded } from './instrumentation-preload';
import { createInstrumentations } from './instrumentations';

if (markInstrumentationsPreloaded()) registerInstrumentations({ instrumentations: createInstrumentations() });
