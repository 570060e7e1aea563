/**
 * The platform's one error vocabulary. Every service throws these; each transport maps
 * them in exactly one place (GraphQL: graphql-error-formatter.ts, gRPC: grpc-status.ts,
 * HTTP: http-server.ts). Anything that is not an AppError is unexpected: it is logged with
 * the request id and masked as INTERNAL_SERVER_ERROR.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra, client-safe facts about an error; they become GraphQL `extensions`. */
export type ErrorDetails = Record<string, string | number | boolean | null>;

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Client-safe facts (e.g. `field`, `sku`); never secrets or internals. */
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether trying again later may succeed (true only for SERVICE_UNAVAILABLE by default). */
  get retryable(): boolean {
    return this.details.retryable === true;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The caller sent something invalid; `field` names the offending input path (e.g. `input.email`). */
export function badUserInput(field: string, message: string, details: ErrorDetails = {}): AppError {
  return new AppError('BAD_USER_INPUT', message, { field, ...details });
}

export function conflict(message: string, details: ErrorDetails = {}): AppError {
  return new AppError('CONFLICT', message, details);
}

export function notFound(message: string, details: ErrorDetails = {}): AppError {
  return new AppError('NOT_FOUND', message, details);
}

export function forbidden(message = 'You are not allowed to do this.', details: ErrorDetails = {}): AppError {
  return new AppError('FORBIDDEN', message, details);
}

export function unauthenticated(message = 'Sign in to do this.'): AppError {
  return new AppError('UNAUTHENTICATED', message);
}

/** A dependency (database, another service) is down or too slow; the client may retry. */
export function serviceUnavailable(message: string, options?: { cause?: unknown }): AppError {
  return new AppError('SERVICE_UNAVAILABLE', message, { retryable: true }, options);
}
