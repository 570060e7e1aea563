import DataLoader from 'dataloader';
import type { User } from '../domain/user';
import { isUserId } from '../domain/user-input';
import type { UserRepository } from '../repositories/user-repository';

/** Batches every user lookup of one request into a single query (ids that are not UUIDs never reach SQL). */
export function createUserByIdLoader(users: UserRepository): DataLoader<string, User | null> {
  return new DataLoader(async (ids) => {
    const found = await users.findByIds(ids.filter(isUserId));
    const byId = new Map(found.map((user) => [user.id, user]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
