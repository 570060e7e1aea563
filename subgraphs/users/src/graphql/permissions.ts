import { allow, deny, rule, shield } from 'graphql-shield';
import { isAdmin } from '@fedshop/shared/auth';
import { forbidden, unauthenticated } from '@fedshop/shared/errors';
import { shieldFallbackError, validEntityRepresentations, adminOnly, anyone, signedIn } from '@fedshop/shared/subgraph';
import type { UsersContext } from './context';

/** The account itself (including one that just signed in) or an admin. Looks at the parent, so never cached. */
const isSelfOrAdmin = rule({ cache: 'no_cache' })((parent: { id: string }, _args, context: UsersContext) => {
  if (isAdmin(context.viewer) || context.viewer?.id === parent.id || context.signedInUserIds.has(parent.id)) return true;
  return context.viewer ? forbidden('Only the account itself or an admin can see this.') : unauthenticated();
});

/** Signed in, or reading the account that signed in during this request. */
const canSeeAccount = rule({ cache: 'no_cache' })((parent: { id: string }, _args, context: UsersContext) =>
  context.viewer || context.signedInUserIds.has(parent.id) ? true : unauthenticated(),
);

/**
 * Who may read and do what in the users subgraph. Anything not listed is denied
 * (fallbackRule deny), including fields added later without a rule. Federation's own
 * `_service` is open and `_entities` takes well-formed representations: field rules still apply
 * to the entities they return.
 */
export const usersPermissions = shield(
  {
    Query: {
      '*': deny,
      me: anyone,
      user: signedIn,
      users: adminOnly,
      _service: allow,
      _entities: validEntityRepresentations,
    },
    Mutation: {
      '*': deny,
      signUp: anyone,
      signIn: anyone,
      // Authenticated by the refresh token, not the access token (which may have expired).
      refreshSession: anyone,
      signOut: anyone,
      updateProfile: signedIn,
      suspendUser: adminOnly,
      deleteAccount: signedIn,
    },
    Subscription: {
      '*': deny,
      myLoyaltyChanged: signedIn,
    },
    User: {
      '*': canSeeAccount,
      id: allow,
      email: isSelfOrAdmin,
      tier: isSelfOrAdmin,
      lifetimeSpendCents: isSelfOrAdmin,
    },
    UserConnection: allow,
    UserEdge: allow,
    PageInfo: allow,
    AuthPayload: allow,
    _Service: allow,
  },
  {
    fallbackRule: deny,
    allowExternalErrors: false,
    fallbackError: shieldFallbackError,
  },
);
