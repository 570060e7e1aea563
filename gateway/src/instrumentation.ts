/**
 * The tracing instrumentations of the gateway: HTTP server spans and its fetches to the subgraphs and the JWKS (undici).
 * `main.ts` imports this module first, so that the require hooks are in place before the
 * libraries they patch are loaded (see `registerServiceInstrumentations`).
 */
import { registerServiceInstrumentations } from '@fedshop/shared/telemetry/instrumentations';

registerServiceInstrumentations(['http', 'undici']);
