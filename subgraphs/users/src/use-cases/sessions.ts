import { randomUUID } from 'node:crypto';
import { unauthenticated } from '@fedshop/shared/errors';
import type { User } from '../domain/user';
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from '../security/refresh-token';
import type { UsersDependencies } from './dependencies';

/** A refresh token as issued; only the gateway ever sees it (it becomes an HttpOnly cookie). */
export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

/** The outcome of signing up, signing in or refreshing: a session's new credentials. */
export interface AuthResult {
  /** The access token (JWT), sent by clients as a bearer token. */
  token: string;
  /** When the access token expires. */
  expiresAt: Date;
  user: User;
  /** The next refresh token of the session; travels to the gateway in a response header, never in the body. */
  refreshToken: IssuedRefreshToken;
}

const SESSION_ENDED = 'Your session has ended: sign in again.';

function nextRefreshToken(deps: UsersDependencies): IssuedRefreshToken & { tokenHash: string } {
  const token = newRefreshToken();
  const expiresAt = new Date(deps.clock.now().getTime() + deps.sessions.refreshTtlSeconds * 1000);
  return { token, tokenHash: hashRefreshToken(token), expiresAt };
}

/** Starts a session (a new refresh-token family) for an account that just proved who it is. */
export async function startSession(deps: UsersDependencies, user: User): Promise<AuthResult> {
  const refresh = nextRefreshToken(deps);
  await deps.refreshTokens.create({ tokenHash: refresh.tokenHash, familyId: randomUUID(), userId: user.id, expiresAt: refresh.expiresAt });
  const access = await deps.tokens.issue(user);
  return { ...access, user, refreshToken: { token: refresh.token, expiresAt: refresh.expiresAt } };
}

/**
 * Exchanges a refresh token for a new access token and the session's next refresh token; the
 * presented one is spent. A token that was already spent is a copy (stolen, or replayed): the
 * whole family is revoked, so the thief's and the owner's next refresh both fail and the owner
 * signs in again. Every refusal is the same UNAUTHENTICATED to the caller.
 */
export async function refreshSession(deps: UsersDependencies, presented: string | null): Promise<AuthResult> {
  if (!presented || !looksLikeRefreshToken(presented)) throw unauthenticated('No session to refresh: sign in.');
  const next = nextRefreshToken(deps);
  const now = deps.clock.now();
  const rotation = await deps.refreshTokens.rotate(
    hashRefreshToken(presented),
    { tokenHash: next.tokenHash, expiresAt: next.expiresAt },
    now,
  );
  if (!rotation.ok) {
    if (rotation.reason === 'reused') {
      deps.logger.warn({ familyId: rotation.familyId }, 'a spent refresh token was presented again; its session is revoked');
    }
    throw unauthenticated(SESSION_ENDED);
  }
  const user = await deps.users.findById(rotation.userId);
  if (!user || user.status === 'SUSPENDED') {
    // Suspension revokes sessions as it happens; this closes the window of a refresh racing it.
    await deps.refreshTokens.revokeAllOfUser(rotation.userId, now);
    throw unauthenticated(SESSION_ENDED);
  }
  const access = await deps.tokens.issue(user);
  return { ...access, user, refreshToken: { token: next.token, expiresAt: next.expiresAt } };
}

/** Ends the session the refresh token belongs to (every token of its family). Nothing to end is fine. */
export async function endSession(deps: UsersDependencies, presented: string | null): Promise<void> {
  if (!presented || !looksLikeRefreshToken(presented)) return;
  await deps.refreshTokens.revokeFamilyOf(hashRefreshToken(presented), deps.clock.now());
}
