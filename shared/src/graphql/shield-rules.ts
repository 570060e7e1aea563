import { rule } from 'graphql-shield';
import { AppError, forbidden, unauthenticated } from '../errors/app-error';
import type { Viewer } from '../auth/viewer';

/** The part of every subgraph's context the shared rules read. */
export interface AuthContext {
  viewer: Viewer | null;
}

/** Signed in with a verified token. */
export const signedIn = rule({ cache: 'contextual' })((_parent, _args, context: AuthContext) =>
  context.viewer ? true : unauthenticated(),
);

/** Signed in as an ADMIN. */
export const adminOnly = rule({ cache: 'contextual' })((_parent, _args, context: AuthContext) => {
  if (!context.viewer) return unauthenticated();
  return context.viewer.role === 'ADMIN' ? true : forbidden('Only an admin can do this.');
});

/** Anyone, signed in or not. */
export const anyone = rule({ cache: 'contextual' })(() => true);

/**
 * graphql-shield's `fallbackError` for every subgraph (used with allowExternalErrors: false):
 * a denied rule answers FORBIDDEN; domain errors (BAD_USER_INPUT, CONFLICT...) pass; any
 * other error is passed on for the error formatter to log with the request id and mask.
 */
export function shieldFallbackError(thrown: unknown): Error {
  if (thrown === null || thrown === undefined) return forbidden('You are not allowed to do this.');
  if (thrown instanceof AppError) return thrown;
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
