/**
 * The tracing instrumentations of the orders service: HTTP server spans, its JWKS fetches (undici), gRPC client and server, SQL through Prisma.
 * `main.ts` imports this module first, so that the require hooks are in place before the
 * libraries they patch are loaded (see `registerServiceInstrumentations`).
 */
import { registerServiceInstrumentations } from '@fedshop/shared/telemetry/instrumentations';

registerServiceInstrumentations(['http', 'undici', 'grpc', 'prisma']);
