import { DateTimeScalar } from '@fedshop/shared/graphql';
import type { User } from '../domain/user';
import { isUserId } from '../domain/user-input';
import { deleteAccount, listUsers, suspendUser, updateProfile } from '../use-cases/manage-accounts';
import { signIn, type SignInInput } from '../use-cases/sign-in';
import { signUp, type SignUpInput } from '../use-cases/sign-up';
import type { UsersContext } from './context';

/** Viewer is guaranteed by the permission layer for these fields. */
function viewerOf(context: UsersContext) {
  if (!context.viewer) throw new Error('permission layer let an anonymous call through');
  return context.viewer;
}

/**
 * Thin GraphQL transport: unpack arguments, call a use case, return domain objects.
 * Who may call what lives in permissions.ts.
 */
export const usersResolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_: unknown, __: unknown, context: UsersContext) =>
      context.viewer ? context.userById.load(context.viewer.id) : null,
    user: (_: unknown, args: { id: string }, context: UsersContext) =>
      isUserId(args.id) ? context.userById.load(args.id) : null,
    users: (_: unknown, args: { first?: number | null; after?: string | null }, context: UsersContext) =>
      listUsers(context.deps, args),
  },
  Mutation: {
    signUp: async (_: unknown, args: { input: SignUpInput }, context: UsersContext) => {
      const result = await signUp(context.deps, args.input);
      context.signedInUserIds.add(result.user.id);
      return result;
    },
    signIn: async (_: unknown, args: { input: SignInInput }, context: UsersContext) => {
      const result = await signIn(context.deps, args.input);
      context.signedInUserIds.add(result.user.id);
      return result;
    },
    updateProfile: (_: unknown, args: { input: { name: string } }, context: UsersContext) =>
      updateProfile(context.deps, viewerOf(context), args.input),
    suspendUser: (_: unknown, args: { id: string }, context: UsersContext) =>
      suspendUser(context.deps, viewerOf(context), args.id),
    deleteAccount: (_: unknown, args: { id: string }, context: UsersContext) =>
      deleteAccount(context.deps, viewerOf(context), args.id, context.requestId),
  },
  User: {
    __resolveReference: (reference: { id: string }, context: UsersContext): Promise<User | null> | null =>
      typeof reference.id === 'string' && isUserId(reference.id) ? context.userById.load(reference.id) : null,
  },
};
