import type { Viewer } from '@fedshop/shared/auth';
import { unauthenticated } from '@fedshop/shared/errors';
import type DataLoader from 'dataloader';
import type { User } from '../domain/user';

/**
 * A token outlives its account when the account is deleted (tokens are valid for
 * JWT_TTL_SECONDS and carry no revocation). Every authenticated request therefore proves the
 * account still exists: one primary-key lookup through the request's user loader, which `me`
 * and entity fetches of the same request then reuse. A missing account is UNAUTHENTICATED.
 */
export async function checkViewerAccount(viewer: Viewer, userById: DataLoader<string, User | null>): Promise<void> {
  if (!(await userById.load(viewer.id))) throw unauthenticated('The account of this access token no longer exists.');
}
