/**
 * The tracing instrumentations of the users service: gRPC client and server, SQL through Prisma (its HTTP
 * server spans are written by @fedshop/shared/http itself).
 * `main.ts` imports this module first, so that the require hooks are in place before the
 * libraries they patch are loaded (see `registerServiceInstrumentations`).
 */
import { registerServiceInstrumentations } from '@fedshop/shared/telemetry/instrumentations';

registerServiceInstrumentations(['grpc', 'prisma']);
