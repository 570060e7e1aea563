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

/**
 * Codes for requests refused at the edge before any work is done for them: too many requests,
 * or an operation beyond one of the gateway's limits (details carry the `limit`). They are part
 * of the vocabulary (AppErrors may carry them, the GraphQL formatter passes them), but only
 * the gateway and sign-in throttling raise them, so subgraphs never need to trust them upstream.
 */
export const REQUEST_REJECTION_CODES = [
  'RATE_LIMITED',
  'OPERATION_TOO_LARGE',
  'OPERATION_TOO_DEEP',
  'OPERATION_TOO_MANY_ALIASES',
  'OPERATION_TOO_MANY_ROOT_FIELDS',
  'OPERATION_TOO_COSTLY',
  'PERSISTED_QUERY_NOT_IN_LIST',
  // Subscriptions: over SUBSCRIPTIONS_PER_USER at once, over WS_CONNECTIONS_PER_IP connections.
  'TOO_MANY_SUBSCRIPTIONS',
  'TOO_MANY_CONNECTIONS',
] as const;

export type RequestRejectionCode = (typeof REQUEST_REJECTION_CODES)[number];

/**
 * Why the gateway ended a subscription that was running fine: its plan no longer holds under
 * a new supergraph (Apollo Router's name for it); the client subscribes again.
 */
export const SUBSCRIPTION_END_CODES = ['SUBSCRIPTION_SCHEMA_RELOAD'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number] | RequestRejectionCode | (typeof SUBSCRIPTION_END_CODES)[number];

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

/** One of the domain codes every service throws (ERROR_CODES; request rejections excluded). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export function isRequestRejectionCode(value: unknown): value is RequestRejectionCode {
  return typeof value === 'string' && (REQUEST_REJECTION_CODES as readonly string[]).includes(value);
}

/**
 * The caller is over a rate limit (edge buckets, or sign-in throttling); `retryAfterSeconds`
 * says when trying again can succeed.
 */
export function rateLimited(message: string, retryAfterSeconds: number, details: ErrorDetails = {}): AppError {
  return new AppError('RATE_LIMITED', message, { ...details, retryAfterSeconds });
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
