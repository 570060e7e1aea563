import { isAdmin, type Viewer } from '@fedshop/shared/auth';
import { conflict, forbidden, notFound } from '@fedshop/shared/errors';
import { parsePageRequest, toConnection, type Connection } from '@fedshop/shared/graphql';
import type { User } from '../domain/user';
import { isUserId, normalizeName } from '../domain/user-input';
import { EmailTakenError } from '../repositories/user-repository';
import type { UsersDependencies } from './dependencies';

/** Renames the signed-in account. */
export async function updateProfile(deps: UsersDependencies, viewer: Viewer, input: { name: string }): Promise<User> {
  const name = normalizeName('input.name', input.name);
  const user = await deps.users.update(viewer.id, { name });
  if (!user) throw notFound('Your account no longer exists.');
  return user;
}

/**
 * An admin suspends an account: it can no longer order, and its sessions are revoked, so it
 * cannot refresh its way past the suspension (an access token already issued lives out its
 * JWT_TTL_SECONDS).
 */
export async function suspendUser(deps: UsersDependencies, viewer: Viewer, id: string): Promise<User> {
  if (!isUserId(id)) throw notFound('No such user.');
  if (id === viewer.id) throw conflict('You cannot suspend your own account.');
  const user = await deps.users.update(id, { status: 'SUSPENDED' });
  if (!user) throw notFound('No such user.');
  await deps.refreshTokens.revokeAllOfUser(id, deps.clock.now());
  return user;
}

/**
 * Deletes an account (its owner or an admin). Asks the orders service first: an account
 * with CONFIRMED orders is a CONFLICT and nothing is deleted. Its refresh tokens go with the
 * row (foreign key, cascade), so no session outlives it.
 */
export async function deleteAccount(deps: UsersDependencies, viewer: Viewer, id: string): Promise<boolean> {
  if (id !== viewer.id && !isAdmin(viewer)) throw forbidden('You can only delete your own account.');
  if (!isUserId(id) || !(await deps.users.findById(id))) throw notFound('No such user.');
  const open = await deps.orders.countOpenOrders(id);
  if (open > 0) {
    throw conflict(`The account has ${open} open order(s); they must be shipped or cancelled first.`, {
      openOrders: open,
    });
  }
  if (!(await deps.users.delete(id))) throw notFound('No such user.');
  return true;
}

/** Admin listing of every account, oldest first. */
export async function listUsers(
  deps: UsersDependencies,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<User>> {
  const page = parsePageRequest(args, isUserId);
  const rows = await deps.users.listPage(page.limit, page.afterKey);
  return toConnection(
    rows,
    page.limit,
    (user) => user.id,
    () => deps.users.count(),
  );
}

/**
 * Creates the configured admin account if missing (and makes sure it is an ADMIN). The
 * password of an existing account is left alone: rotating it is the admin's business.
 * Replicas starting together on a fresh database race to create it: the one that loses finds
 * the winner's account instead of failing its start.
 */
export async function ensureAdmin(deps: UsersDependencies, admin: { email: string; password: string }): Promise<User> {
  const email = admin.email.trim().toLowerCase();
  const promote = async (existing: User) => {
    if (existing.role === 'ADMIN') return existing;
    return (await deps.users.update(existing.id, { role: 'ADMIN' })) ?? existing;
  };
  const existing = await deps.users.findByEmailWithCredentials(email);
  if (existing) return promote(existing);
  const passwordHash = await deps.passwords.hash(admin.password);
  try {
    return await deps.users.create({ email, name: 'Administrator', passwordHash, role: 'ADMIN' });
  } catch (error) {
    const created = error instanceof EmailTakenError ? await deps.users.findByEmailWithCredentials(email) : null;
    if (!created) throw error;
    return promote(created);
  }
}
