import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { AppError, type ErrorCode, isErrorCode, serviceUnavailable } from '../errors/app-error';
import { translateInfrastructureError } from '../errors/infrastructure-errors';

const STATUS_BY_CODE: Record<ErrorCode, status> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  BAD_USER_INPUT: status.INVALID_ARGUMENT,
  CONFLICT: status.FAILED_PRECONDITION,
  SERVICE_UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL_SERVER_ERROR: status.INTERNAL,
  // Request rejections are the gateway's; should one ever cross gRPC, these are the standard statuses.
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  OPERATION_TOO_LARGE: status.INVALID_ARGUMENT,
  OPERATION_TOO_DEEP: status.INVALID_ARGUMENT,
  OPERATION_TOO_MANY_ALIASES: status.INVALID_ARGUMENT,
  OPERATION_TOO_MANY_ROOT_FIELDS: status.INVALID_ARGUMENT,
  OPERATION_TOO_COSTLY: status.INVALID_ARGUMENT,
  PERSISTED_QUERY_NOT_IN_LIST: status.INVALID_ARGUMENT,
  TOO_MANY_SUBSCRIPTIONS: status.RESOURCE_EXHAUSTED,
  TOO_MANY_CONNECTIONS: status.RESOURCE_EXHAUSTED,
  SUBSCRIPTION_SCHEMA_RELOAD: status.ABORTED,
};

/** Metadata key carrying our error code next to the gRPC status, so no meaning is lost on the wire. */
const ERROR_CODE_METADATA_KEY = 'x-error-code';

/**
 * The one place gRPC servers map errors to statuses. AppErrors keep their code (in metadata)
 * and message; anything else becomes INTERNAL with a fixed message: internals never cross.
 */
export function toGrpcStatus(raw: unknown): Partial<StatusObject> {
  const error = translateInfrastructureError(raw) ?? raw;
  const metadata = new Metadata();
  if (error instanceof AppError && error.code !== 'INTERNAL_SERVER_ERROR') {
    metadata.set(ERROR_CODE_METADATA_KEY, error.code);
    return { code: STATUS_BY_CODE[error.code], details: error.message, metadata };
  }
  metadata.set(ERROR_CODE_METADATA_KEY, 'INTERNAL_SERVER_ERROR');
  return { code: status.INTERNAL, details: 'Internal server error', metadata };
}

/**
 * How grpc-js reports a call whose HTTP/2 stream was reset (or ended) before any gRPC status
 * arrived; not a reset it caused itself ("triggered by internal client error").
 */
const STREAM_CUT = /^Received RST_STREAM with code \d+( \((Internal server error|Call ended without gRPC status)\))?$/;

/**
 * The one place gRPC clients map a failed call back to an AppError. Transport failures
 * (unreachable, deadline, cancelled, the stream cut before a status) become
 * SERVICE_UNAVAILABLE with `retryable: true`.
 */
export function fromGrpcError(error: ServiceError, downstream: string): AppError {
  if (
    error.code === status.UNAVAILABLE ||
    error.code === status.DEADLINE_EXCEEDED ||
    error.code === status.CANCELLED ||
    error.code === status.RESOURCE_EXHAUSTED
  ) {
    return serviceUnavailable(`The ${downstream} service is unavailable, try again shortly.`, { cause: error });
  }
  const code = error.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  if (code === undefined && error.code === status.INTERNAL && STREAM_CUT.test(error.details)) {
    // No status from the peer at all: the stream was reset on the way (a load balancer whose
    // replica died mid-call), so nothing says the call failed rather than the path to it.
    return serviceUnavailable(`The ${downstream} service is unavailable, try again shortly.`, { cause: error });
  }
  if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
    return new AppError(code, error.details, {}, { cause: error });
  }
  const mapped = (Object.entries(STATUS_BY_CODE) as [ErrorCode, status][]).find(([, s]) => s === error.code);
  if (mapped && mapped[0] !== 'INTERNAL_SERVER_ERROR' && mapped[0] !== 'SERVICE_UNAVAILABLE') {
    return new AppError(mapped[0], error.details, {}, { cause: error });
  }
  return new AppError('INTERNAL_SERVER_ERROR', `The ${downstream} service failed.`, {}, { cause: error });
}
