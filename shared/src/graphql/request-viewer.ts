import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { AppError, type ErrorCode } from '../errors/app-error';
import { parseBearerToken, type TokenVerifier } from '../auth/token-verifier';
import type { Viewer } from '../auth/viewer';
import { setRequestUser } from '../context/request-scope';

const HTTP_STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * Who sent the request: null when there is no Authorization header, the verified viewer
 * otherwise (recorded on the request scope, so the request's log lines name the user). A
 * header that is present but invalid, expired or tampered is refused, never downgraded to anonymous.
 */
export async function viewerFromRequest(req: Pick<IncomingMessage, 'headers'>, verifier: TokenVerifier): Promise<Viewer | null> {
  const token = parseBearerToken(req.headers.authorization);
  if (token === null) return null;
  const viewer = await verifier.verify(token);
  setRequestUser(viewer.id);
  return viewer;
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
