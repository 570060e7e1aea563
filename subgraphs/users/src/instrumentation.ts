/**
 * The tracing instrumentations of the users service: HTTP server spans, gRPC client and server, SQL through Prisma (it fetches nothing over HTTP).
 * `main.ts` imports this module first, so that the require hooks are in place before the
 * libraries they patch are loaded (see `registerServiceInstrumentations`).
 */
import { registerServiceInstrumentations } from '@fedshop/shared/telemetry/instrumentations';

registerServiceInstrumentations(['http', 'grpc', 'prisma']);
