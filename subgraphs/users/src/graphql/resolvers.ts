import { unauthenticated } from '@fedshop/shared/errors';
import { DateTimeScalar } from '@fedshop/shared/graphql';
import { entityTag, invalidateCacheTags, rootFieldTag } from '@fedshop/shared/subgraph';
import type { User } from '../domain/user';
import { isUserId } from '../domain/user-input';
import { deleteAccount, listUsers, suspendUser, updateProfile } from '../use-cases/manage-accounts';
import { signIn, type SignInInput } from '../use-cases/sign-in';
import { endSession, refreshSession, type AuthResult } from '../use-cases/sessions';
import { signUp, type SignUpInput } from '../use-cases/sign-up';
import { watchLoyalty } from '../use-cases/watch-loyalty';
import type { UsersContext } from './context';

/** Viewer is guaranteed by the permission layer for these fields. */
function viewerOf(context: UsersContext) {
  if (!context.viewer) throw new Error('permission layer let an anonymous call through');
  return context.viewer;
}

/** The new session's refresh token goes to the gateway in headers (session-headers-plugin.ts), not in the payload. */
function issueSession(context: UsersContext, result: AuthResult) {
  context.signedInUserIds.add(result.user.id);
  context.sessionCookie = { kind: 'set', token: result.refreshToken.token, expiresAt: result.refreshToken.expiresAt };
  return { token: result.token, expiresAt: result.expiresAt, user: result.user };
}

/** A changed account: the gateway purges cached responses that show it (README, Response cache). */
function invalidatesUser(context: UsersContext, user: User): User {
  invalidateCacheTags(context, [entityTag('User', user.id)]);
  return user;
}

/**
 * Thin GraphQL transport: unpack arguments, call a use case, return domain objects.
 * Who may call what lives in permissions.ts.
 */
export const usersResolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_: unknown, __: unknown, context: UsersContext) => (context.viewer ? context.userById.load(context.viewer.id) : null),
    user: (_: unknown, args: { id: string }, context: UsersContext) => (isUserId(args.id) ? context.userById.load(args.id) : null),
    users: (_: unknown, args: { first?: number | null; after?: string | null }, context: UsersContext) => listUsers(context.deps, args),
  },
  Subscription: {
    // Only `subscribe`: each event is `{ myLoyaltyChanged: user }`, read by the default resolver.
    myLoyaltyChanged: {
      subscribe: (_: unknown, __: unknown, context: UsersContext) => {
        // The permission layer lets only signed-in callers through.
        if (!context.viewer) throw unauthenticated();
        return watchLoyalty(context.deps, context.viewer);
      },
    },
  },
  Mutation: {
    signUp: async (_: unknown, args: { input: SignUpInput }, context: UsersContext) => {
      const session = await signUp(context.deps, args.input);
      // A new account joins the admins' `users` list.
      invalidateCacheTags(context, [rootFieldTag('Query', 'users')]);
      return issueSession(context, session);
    },
    signIn: async (_: unknown, args: { input: SignInInput }, context: UsersContext) =>
      issueSession(context, await signIn(context.deps, args.input)),
    refreshSession: async (_: unknown, __: unknown, context: UsersContext) => {
      try {
        return issueSession(context, await refreshSession(context.deps, context.presentedRefreshToken));
      } catch (error) {
        // A refused token is dead: the browser should stop sending it.
        if (context.presentedRefreshToken) context.sessionCookie = { kind: 'clear' };
        throw error;
      }
    },
    signOut: async (_: unknown, __: unknown, context: UsersContext) => {
      await endSession(context.deps, context.presentedRefreshToken);
      context.sessionCookie = { kind: 'clear' };
      return true;
    },
    updateProfile: async (_: unknown, args: { input: { name: string } }, context: UsersContext) =>
      invalidatesUser(context, await updateProfile(context.deps, viewerOf(context), args.input)),
    suspendUser: async (_: unknown, args: { id: string }, context: UsersContext) =>
      invalidatesUser(context, await suspendUser(context.deps, viewerOf(context), args.id)),
    deleteAccount: async (_: unknown, args: { id: string }, context: UsersContext) => {
      const deleted = await deleteAccount(context.deps, viewerOf(context), args.id);
      invalidateCacheTags(context, [entityTag('User', args.id), rootFieldTag('Query', 'users')]);
      return deleted;
    },
  },
  User: {
    __resolveReference: (reference: { id: string }, context: UsersContext): Promise<User | null> | null =>
      typeof reference.id === 'string' && isUserId(reference.id) ? context.userById.load(reference.id) : null,
  },
};
