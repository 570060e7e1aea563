import type { AccountFieldsFragment, SessionFieldsFragment } from '../graphql/generated/graphql';

/** Where the shopper's session stands, as the UI shows it. */
export type SessionState =
  { status: 'restoring' } | { status: 'anonymous'; ended: boolean } | { status: 'signed-in'; user: AccountFieldsFragment };

export interface SessionCalls {
  /** refreshSession: the gateway reads the refresh token from its HttpOnly cookie. */
  refresh(): Promise<SessionFieldsFragment>;
  /** signOut: the gateway revokes the session and clears the cookie. */
  signOut(): Promise<void>;
}

/** Refresh this long before the access token expires, so no request is sent with a dying one. */
const REFRESH_MARGIN_MS = 60_000;
/** Web Locks name: one refresh at a time across the shop's tabs, since each refresh spends the cookie's token. */
const REFRESH_LOCK = 'fedshop-session-refresh';

/**
 * The session in the browser. The access token lives in this object's memory only: not in
 * localStorage or sessionStorage (any script on the page could read those, and they outlive the
 * tab), not in a cookie (it would ride along with every request, CSRF included). The refresh
 * token is an HttpOnly cookie only the gateway sees. A reload therefore starts with `restore()`:
 * one refreshSession turns the cookie into a fresh access token, or finds no session.
 *
 * Refreshes are single-flight in the tab and serialized across tabs (Web Locks): two
 * concurrent refreshes with the same token would look like a stolen token and end the session.
 */
export class SessionStore {
  private accessToken: string | null = null;
  private expiresAtMs = 0;
  private state: SessionState = { status: 'restoring' };
  private readonly listeners = new Set<() => void>();
  private inFlight: Promise<boolean> | null = null;

  constructor(
    private readonly calls: SessionCalls,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current state (a stable object between changes, for useSyncExternalStore). */
  readonly getState = (): SessionState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  /** Takes a new session's credentials (sign-up, sign-in, refresh). */
  start(payload: SessionFieldsFragment): void {
    this.accessToken = payload.token;
    this.expiresAtMs = Date.parse(payload.expiresAt);
    this.set({ status: 'signed-in', user: payload.user });
  }

  /** Keeps the signed-in user's details current (profile edits, loyalty). */
  updateUser(user: AccountFieldsFragment): void {
    if (this.state.status === 'signed-in') this.set({ status: 'signed-in', user });
  }

  /** At page load: a session cookie, if any, becomes an access token. */
  async restore(): Promise<void> {
    if (!(await this.refresh())) this.set({ status: 'anonymous', ended: false });
  }

  /**
   * The token to send now: the current one, or a fresh one when it expires within a minute
   * (so an access token's 15 minutes never end a checkout). Null when anonymous.
   */
  async currentAccessToken(): Promise<string | null> {
    if (!this.accessToken) return null;
    if (this.expiresAtMs - REFRESH_MARGIN_MS > this.now()) return this.accessToken;
    return (await this.refresh()) ? this.accessToken : null;
  }

  /** Trades the cookie for a new access token; false (and signed out) when the session is over. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.withLock(async () => {
      try {
        this.start(await this.calls.refresh());
        return true;
      } catch {
        const wasSignedIn = this.accessToken !== null;
        this.forget();
        if (wasSignedIn) this.set({ status: 'anonymous', ended: true });
        return false;
      }
    }).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** The server refused the session and it could not be refreshed: back to sign-in (the cart stays). */
  expire(): void {
    this.forget();
    this.set({ status: 'anonymous', ended: true });
  }

  async signOut(): Promise<void> {
    try {
      await this.calls.signOut();
    } finally {
      this.forget();
      this.set({ status: 'anonymous', ended: false });
    }
  }

  private forget(): void {
    this.accessToken = null;
    this.expiresAtMs = 0;
  }

  private withLock<T>(task: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    return locks ? (locks.request(REFRESH_LOCK, task) as Promise<T>) : task();
  }
}
