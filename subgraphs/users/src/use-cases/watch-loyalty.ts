import type { Viewer } from '@fedshop/shared/auth';
import { mapAsyncIterator } from '@fedshop/shared/live-events';
import { EVENT_TRACEPARENT } from '@fedshop/shared/subgraph';
import type { User } from '../domain/user';
import type { UsersDependencies } from './dependencies';

/** One event of `myLoyaltyChanged`: the account as stored after the change. */
export interface LoyaltyEvent {
  myLoyaltyChanged: User;
  [EVENT_TRACEPARENT]?: string;
}

/**
 * The viewer's own account each time a committed order event changed its lifetime spend,
 * read after that commit (an account deleted meanwhile ends nothing: it is skipped).
 */
export function watchLoyalty(deps: UsersDependencies, viewer: Viewer): AsyncIterableIterator<LoyaltyEvent> {
  return mapAsyncIterator(deps.loyaltyFeed.watch(viewer.id), async (change) => {
    const user = await deps.users.findById(change.userId);
    if (!user) return null;
    return { value: { myLoyaltyChanged: user, [EVENT_TRACEPARENT]: change.traceparent } };
  });
}
