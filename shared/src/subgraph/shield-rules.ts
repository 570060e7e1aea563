import { isUnionType } from 'graphql';
import { rule, type IRule } from 'graphql-shield';
import { AppError, badUserInput, forbidden, unauthenticated } from '../errors/app-error';
import type { Viewer } from '../auth/viewer';

/** The part of every subgraph's context the shared rules read. */
export interface AuthContext {
  viewer: Viewer | null;
}

/** Signed in with a verified token. */
export const signedIn: IRule = rule({ cache: 'contextual' })((_parent, _args, context: AuthContext) =>
  context.viewer ? true : unauthenticated(),
);

/** Signed in as an ADMIN. */
export const adminOnly: IRule = rule({ cache: 'contextual' })((_parent, _args, context: AuthContext) => {
  if (!context.viewer) return unauthenticated();
  return context.viewer.role === 'ADMIN' ? true : forbidden('Only an admin can do this.');
});

/** Anyone, signed in or not. */
export const anyone: IRule = rule({ cache: 'contextual' })(() => true);

/**
 * For federation's `_entities`: every representation must be an object naming one of this
 * subgraph's entity types (the members of `_Entity`). The gateway only ever sends such; a
 * hand-made request that does not gets BAD_USER_INPUT naming the representation, instead of
 * the library's internal error, which would be masked and logged at error level (log flooding
 * by anyone who can reach the subgraph).
 */
export const validEntityRepresentations: IRule = rule({ cache: 'no_cache' })((
  _parent,
  args: { representations?: unknown },
  _context,
  info,
) => {
  const entity = info.schema.getType('_Entity');
  const entityTypes = new Set(entity && isUnionType(entity) ? entity.getTypes().map((type) => type.name) : []);
  const representations = Array.isArray(args.representations) ? args.representations : [];
  for (const [index, representation] of representations.entries()) {
    if (!representation || typeof representation !== 'object' || Array.isArray(representation)) {
      return badUserInput(`representations[${index}]`, 'An entity representation must be an object with __typename and key fields.');
    }
    const typename: unknown = (representation as Record<string, unknown>).__typename;
    if (typeof typename !== 'string' || !entityTypes.has(typename)) {
      return badUserInput(`representations[${index}].__typename`, 'An entity representation must name an entity type of this subgraph.');
    }
  }
  return true;
});

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
