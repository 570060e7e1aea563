import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { currentRequestId } from '../context/request-scope';
import { AppError, isErrorCode, isRequestRejectionCode } from './app-error';
import { translateInfrastructureError } from './infrastructure-errors';

/**
 * Codes Apollo Server itself assigns to request-level problems (parse, validation, variable
 * coercion...). Their messages are about the client's own document, so they are safe to return.
 */
const APOLLO_REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export const MASKED_MESSAGE = 'Internal server error';

function findAppError(error: unknown): AppError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof AppError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

export interface GraphQLErrorFormatterOptions {
  logger: Logger;
  /**
   * Codes from upstream services that pass through unchanged (the gateway passes the whole
   * vocabulary from subgraphs). Default: only AppErrors and Apollo's own request errors pass.
   */
  trustedUpstreamCodes?: ReadonlySet<string>;
  /**
   * Removes graphql-js's "Did you mean …?" suggestions from messages, so a production endpoint
   * does not spell out its schema to someone guessing field names; default false.
   */
  hideSuggestions?: boolean;
}

/** graphql-js ends validation and coercion messages with its suggestions: `Did you mean "name"?`. */
const SUGGESTION = /\s*Did you mean [^]*\?$/;

/**
 * Builds Apollo Server's `formatError`: the one place a service maps errors to GraphQL.
 * AppErrors keep their message and become `extensions.code` plus their details; Apollo's own
 * request errors pass; anything else is logged and replaced by INTERNAL_SERVER_ERROR, so no
 * stack, SQL or internal message ever reaches a client.
 */
export function createGraphQLErrorFormatter(options: GraphQLErrorFormatterOptions) {
  const format = formatWith(options);
  if (!options.hideSuggestions) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return SUGGESTION.test(result.message) ? { ...result, message: result.message.replace(SUGGESTION, '') } : result;
  };
}

function formatWith(options: GraphQLErrorFormatterOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const base = { path: formatted.path, locations: formatted.locations };
    let appError = findAppError(error);
    if (!appError) {
      appError = translateInfrastructureError(error);
      if (appError) options.logger.warn({ err: error, requestId: currentRequestId() }, appError.message);
    }
    if (appError) {
      if (appError.code === 'INTERNAL_SERVER_ERROR') {
        return mask(base, error, options);
      }
      return { ...base, message: appError.message, extensions: { ...appError.details, code: appError.code } };
    }
    const code = formatted.extensions?.code;
    // An upstream service's error in our vocabulary: its message and details were meant for clients.
    if (
      typeof code === 'string' &&
      code !== 'INTERNAL_SERVER_ERROR' &&
      (isErrorCode(code) || isRequestRejectionCode(code)) &&
      options.trustedUpstreamCodes?.has(code)
    ) {
      const { stacktrace: _stacktrace, exception: _exception, http: _http, ...extensions } = formatted.extensions ?? {};
      return { ...base, message: formatted.message, extensions: { ...extensions, code } };
    }
    if (typeof code === 'string' && APOLLO_REQUEST_ERROR_CODES.has(code) && !hasUnexpectedCause(error)) {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    if (isUncodedRequestError(error)) {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_REQUEST' } };
    }
    return mask(base, error, options);
  };
}

/**
 * Apollo Server refuses a few malformed requests with a 4xx status but no code (a persisted
 * query whose hash does not match its text, an unknown persisted-query version): its own
 * GraphQLError, nothing underneath. They are the client's doing: BAD_REQUEST, never logged.
 */
function isUncodedRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * A BAD_USER_INPUT from Apollo whose cause is a thrown non-GraphQL error is not the client's fault.
 * graphql-js wraps a scalar parser's plain Error twice (variable error → "Expected type" error →
 * the Error), so the whole originalError chain is searched, not just its first link.
 */
function hasUnexpectedCause(error: unknown): boolean {
  let current = (error as { originalError?: unknown } | null | undefined)?.originalError;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error && !(current instanceof GraphQLError) && !(current instanceof AppError)) return true;
    current = (current as { originalError?: unknown }).originalError;
  }
  return false;
}

function mask(
  base: Pick<GraphQLFormattedError, 'path' | 'locations'>,
  error: unknown,
  options: GraphQLErrorFormatterOptions,
): GraphQLFormattedError {
  const requestId = currentRequestId();
  options.logger.error({ err: error, requestId }, 'unexpected error masked for the client');
  return {
    ...base,
    message: MASKED_MESSAGE,
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  };
}
