import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { AppError, type ErrorCode } from '../errors/app-error';
import { parseBearerToken, type TokenVerifier } from '../auth/token-verifier';
import type { Viewer } from '../auth/viewer';

const HTTP_STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * Who sent the request: null when there is no Authorization header, the verified viewer
 * otherwise. A header that is present but invalid, expired or tampered is refused, never
 * downgraded to anonymous.
 */
export async function viewerFromRequest(req: IncomingMessage, verifier: TokenVerifier): Promise<Viewer | null> {
  const token = parseBearerToken(req.headers.authorization);
  return token === null ? null : verifier.verify(token);
}

/**
 * Turns an error thrown while building a request's context into the GraphQLError Apollo
 * Server answers with: the HTTP status follows the code (401 for UNAUTHENTICATED), and the
 * AppError stays attached so the error formatter keeps its code and details.
 */
export function toContextError(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, http: { status: HTTP_STATUS_BY_CODE[error.code] ?? 500 } },
  });
}
