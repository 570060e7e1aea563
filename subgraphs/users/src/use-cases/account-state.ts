import { notFound } from '@fedshop/shared/errors';
import type { User } from '../domain/user';
import { isUserId } from '../domain/user-input';
import type { UsersDependencies } from './dependencies';

/**
 * The account another service asks about (orders, before accepting an order): its role and
 * status. An unknown or malformed id is NOT_FOUND, the same answer, so ids cannot be probed.
 */
export async function getAccountState(
  deps: Pick<UsersDependencies, 'users'>,
  userId: string,
): Promise<Pick<User, 'id' | 'role' | 'status'>> {
  const user = isUserId(userId) ? await deps.users.findById(userId) : null;
  if (!user) throw notFound('No such user.');
  return user;
}
