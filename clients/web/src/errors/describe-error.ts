import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import type { GraphQLFormattedError } from 'graphql';
import { UnlistedOperationError } from '../app/persisted-query-link';

/**
 * Every code the platform answers with: the error vocabulary (shared/src/errors/app-error.ts),
 * the gateway's request rejections, and what Apollo Server and the HTTP layer say themselves.
 * A test keeps this list equal to the platform's (clients/web/src/errors/describe-error.test.ts).
 */
export const KNOWN_ERROR_CODES = [
  // the domain vocabulary
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
  // refused at the gateway's door
  'RATE_LIMITED',
  'OPERATION_TOO_LARGE',
  'OPERATION_TOO_DEEP',
  'OPERATION_TOO_MANY_ALIASES',
  'OPERATION_TOO_MANY_ROOT_FIELDS',
  'OPERATION_TOO_COSTLY',
  'PERSISTED_QUERY_NOT_IN_LIST',
  // Apollo Server and the HTTP server
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
] as const;

export type KnownErrorCode = (typeof KNOWN_ERROR_CODES)[number];

/** What the UI says and offers for a failed request. */
export interface ErrorDescription {
  /** The platform's code, `NETWORK` when no answer came, `UNKNOWN` for anything else. */
  code: KnownErrorCode | 'NETWORK' | 'UNKNOWN';
  /** One or two sentences for the shopper. */
  message: string;
  /** The same request may work later: offer "Try again". */
  retryable: boolean;
  /** RATE_LIMITED: seconds until trying again can work (Retry-After). */
  retryAfterSeconds?: number;
  /** The session is over: sign in again (the cart is kept). */
  signIn?: boolean;
  /** BAD_USER_INPUT: the input the server named, e.g. `input.items[0].quantity`. */
  field?: string;
  /** The server answered and wrote nothing: a changed cart may be checked out with a new key. */
  certainlyRefused: boolean;
}

/** What the app knows that makes messages concrete. */
export interface ErrorContext {
  /** The display name of a product, by sku (the cart's lines, the catalog in the cache). */
  productName?(sku: string): string | undefined;
}

type Describe = (error: GraphQLFormattedError, context: ErrorContext) => Omit<ErrorDescription, 'code' | 'certainlyRefused'>;

const OUTDATED = 'This page is out of date with the shop. Reload the page to get the current version.';

const extension = (error: GraphQLFormattedError, name: string): unknown => error.extensions?.[name];

/** Each code's message: what happened, in the shopper's terms, and what to do next. */
const DESCRIBE: Record<KnownErrorCode, Describe> = {
  UNAUTHENTICATED: (error) => ({
    message: /incorrect/i.test(error.message)
      ? 'The email or password is incorrect.'
      : 'Your session has ended. Sign in again: your cart is kept.',
    retryable: false,
    signIn: !/incorrect/i.test(error.message),
  }),
  FORBIDDEN: (error) => ({ message: `This account cannot do that. ${error.message}`.trim(), retryable: false }),
  NOT_FOUND: () => ({ message: 'We could not find that. It may have been removed.', retryable: false }),
  BAD_USER_INPUT: (error) => {
    const field = extension(error, 'field');
    return { message: error.message, retryable: false, ...(typeof field === 'string' ? { field } : {}) };
  },
  CONFLICT: (error, context) => {
    const sku = extension(error, 'sku');
    if (typeof sku === 'string') {
      const name = context.productName?.(sku) ?? sku;
      return {
        message: `Not enough “${name}” in stock for this order. Lower the quantity or remove it, then check out again.`,
        retryable: false,
      };
    }
    return { message: error.message, retryable: false };
  },
  SERVICE_UNAVAILABLE: () => ({
    message: 'Part of the shop is unavailable right now. Nothing was lost: try again in a moment.',
    retryable: true,
  }),
  INTERNAL_SERVER_ERROR: (error) => {
    const requestId = extension(error, 'requestId');
    return {
      message: `Something went wrong on our side.${typeof requestId === 'string' ? ` If it keeps happening, quote reference ${requestId}.` : ''}`,
      retryable: true,
    };
  },
  RATE_LIMITED: (error) => {
    const seconds = Number(extension(error, 'retryAfterSeconds'));
    const retryAfterSeconds = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 60;
    return { message: `Too many requests. You can try again in ${retryAfterSeconds} seconds.`, retryable: true, retryAfterSeconds };
  },
  OPERATION_TOO_LARGE: () => ({ message: OUTDATED, retryable: false }),
  OPERATION_TOO_DEEP: () => ({ message: OUTDATED, retryable: false }),
  OPERATION_TOO_MANY_ALIASES: () => ({ message: OUTDATED, retryable: false }),
  OPERATION_TOO_MANY_ROOT_FIELDS: () => ({ message: OUTDATED, retryable: false }),
  OPERATION_TOO_COSTLY: () => ({ message: 'That asks for too much at once. Try a smaller page.', retryable: false }),
  PERSISTED_QUERY_NOT_IN_LIST: () => ({ message: OUTDATED, retryable: false }),
  PERSISTED_QUERY_NOT_FOUND: () => ({ message: OUTDATED, retryable: false }),
  PERSISTED_QUERY_NOT_SUPPORTED: () => ({ message: OUTDATED, retryable: false }),
  GRAPHQL_PARSE_FAILED: () => ({ message: OUTDATED, retryable: false }),
  GRAPHQL_VALIDATION_FAILED: () => ({ message: OUTDATED, retryable: false }),
  BAD_REQUEST: () => ({ message: OUTDATED, retryable: false }),
  PAYLOAD_TOO_LARGE: () => ({ message: 'That is more than the shop accepts in one go.', retryable: false }),
};

function isKnownCode(code: unknown): code is KnownErrorCode {
  return typeof code === 'string' && (KNOWN_ERROR_CODES as readonly string[]).includes(code);
}

/** The GraphQL errors of an answer, also when it came with a non-2xx status as plain JSON. */
function graphQLErrorsOf(error: unknown): readonly GraphQLFormattedError[] | null {
  if (CombinedGraphQLErrors.is(error)) return error.errors;
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: GraphQLFormattedError[] };
      if (Array.isArray(body.errors)) return body.errors;
    } catch {
      // not JSON
    }
  }
  return null;
}

/** Turns whatever a request failed with into what the shopper is told and offered. */
export function describeError(error: unknown, context: ErrorContext = {}): ErrorDescription {
  if (error instanceof UnlistedOperationError) {
    return { code: 'PERSISTED_QUERY_NOT_IN_LIST', message: OUTDATED, retryable: false, certainlyRefused: true };
  }
  const errors = graphQLErrorsOf(error);
  if (errors) {
    // The most telling error first: a session problem explains the rest.
    const chosen =
      errors.find((candidate) => extension(candidate, 'code') === 'UNAUTHENTICATED') ??
      errors.find((candidate) => isKnownCode(extension(candidate, 'code')));
    if (chosen) {
      const code = extension(chosen, 'code') as KnownErrorCode;
      const description = DESCRIBE[code](chosen, context);
      if (code === 'RATE_LIMITED' && ServerError.is(error)) {
        const header = Number(error.response.headers.get('retry-after'));
        if (Number.isFinite(header) && header > 0 && extension(chosen, 'retryAfterSeconds') === undefined) {
          description.retryAfterSeconds = header;
          description.message = `Too many requests. You can try again in ${header} seconds.`;
        }
      }
      return { code, ...description, certainlyRefused: code !== 'SERVICE_UNAVAILABLE' && code !== 'INTERNAL_SERVER_ERROR' };
    }
    return { code: 'UNKNOWN', message: errors[0]?.message ?? 'The request failed.', retryable: true, certainlyRefused: false };
  }
  if (ServerError.is(error)) {
    const retryable = error.statusCode >= 500 || error.statusCode === 429;
    return {
      code: retryable ? 'SERVICE_UNAVAILABLE' : 'UNKNOWN',
      message: retryable
        ? 'The shop is not answering properly right now. Try again in a moment.'
        : `The request failed (HTTP ${error.statusCode}).`,
      retryable,
      certainlyRefused: !retryable,
    };
  }
  return {
    code: 'NETWORK',
    message: 'The shop cannot be reached. Check your connection, then try again.',
    retryable: true,
    certainlyRefused: false,
  };
}
