import { DateTimeScalar } from '@fedshop/shared/graphql';
import type { User } from '../domain/user';
import { isUserId } from '../domain/user-input';
import { deleteAccount, listUsers, suspendUser, updateProfile } from '../use-cases/manage-accounts';
import { signIn, type SignInInput } from '../use-cases/sign-in';
import { endSession, refreshSession, type AuthResult } from '../use-cases/sessions';
import { signUp, type SignUpInput } from '../use-cases/sign-up';
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
  Mutation: {
    signUp: async (_: unknown, args: { input: SignUpInput }, context: UsersContext) =>
      issueSession(context, await signUp(context.deps, args.input)),
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
    updateProfile: (_: unknown, args: { input: { name: string } }, context: UsersContext) =>
      updateProfile(context.deps, viewerOf(context), args.input),
    suspendUser: (_: unknown, args: { id: string }, context: UsersContext) => suspendUser(context.deps, viewerOf(context), args.id),
    deleteAccount: (_: unknown, args: { id: string }, context: UsersContext) =>
      deleteAccount(context.deps, viewerOf(context), args.id, context.requestId),
  },
  User: {
    __resolveReference: (reference: { id: string }, context: UsersContext): Promise<User | null> | null =>
      typeof reference.id === 'string' && isUserId(reference.id) ? context.userById.load(reference.id) : null,
  },
};
