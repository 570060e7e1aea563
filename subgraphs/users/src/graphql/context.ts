import type DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { SessionCookieChange, Viewer } from '@fedshop/shared/auth';
import type { User } from '../domain/user';
import type { UsersDependencies } from '../use-cases/dependencies';

/** Per-request state handed to every resolver and permission rule. */
export interface UsersContext {
  logger: Logger;
  /** The verified caller, or null when anonymous. */
  viewer: Viewer | null;
  deps: UsersDependencies;
  /** One loader per request: entity fetches of many users cost one query. */
  userById: DataLoader<string, User | null>;
  /**
   * Accounts that proved their password in this very request (signUp/signIn), so the
   * returned AuthPayload.user may show its own email to a still-anonymous caller.
   */
  signedInUserIds: Set<string>;
  /** The refresh token the gateway passed on from the browser's cookie (REFRESH_TOKEN_HEADER), if any. */
  presentedRefreshToken: string | null;
  /** Set by the session mutations; sessionHeadersPlugin tells the gateway (new token, or cookie cleared). */
  sessionCookie: SessionCookieChange | null;
}
