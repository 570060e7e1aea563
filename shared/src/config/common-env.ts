import { z } from 'zod';
import { env } from './parse-env';

/**
 * Variables every gRPC-calling service reads the same way, spread into its config schema.
 * The deadline default (1 s, at most 3 attempts) keeps a whole retried call well under the
 * gateway's 10 s subgraph timeout.
 */
export const grpcClientEnvSchema = {
  GRPC_DEADLINE_MS: env.positiveInt(1_000),
  GRPC_RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  GRPC_RETRY_BASE_DELAY_MS: env.positiveInt(50),
  GRPC_BREAKER_FAILURES: env.positiveInt(5),
  GRPC_BREAKER_HALF_OPEN_MS: env.positiveInt(3_000),
};

export interface GrpcClientSettings {
  deadlineMs: number;
  maxAttempts: number;
  baseRetryDelayMs: number;
  breakerFailures: number;
  breakerHalfOpenAfterMs: number;
}

export function grpcClientSettings(raw: {
  GRPC_DEADLINE_MS: number;
  GRPC_RETRY_MAX_ATTEMPTS: number;
  GRPC_RETRY_BASE_DELAY_MS: number;
  GRPC_BREAKER_FAILURES: number;
  GRPC_BREAKER_HALF_OPEN_MS: number;
}): GrpcClientSettings {
  return {
    deadlineMs: raw.GRPC_DEADLINE_MS,
    maxAttempts: raw.GRPC_RETRY_MAX_ATTEMPTS,
    baseRetryDelayMs: raw.GRPC_RETRY_BASE_DELAY_MS,
    breakerFailures: raw.GRPC_BREAKER_FAILURES,
    breakerHalfOpenAfterMs: raw.GRPC_BREAKER_HALF_OPEN_MS,
  };
}

/** How long a service may take to stop after SIGTERM before it exits anyway (10 s). */
export const shutdownEnvSchema = {
  SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
};
