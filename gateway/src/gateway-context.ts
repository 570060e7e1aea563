import type { Viewer } from '@fedshop/shared/auth';
import type { RateLimitDecision } from './edge/rate-limit';
import type { ResponseCacheRequestState } from './response-cache/response-cache';
import type { GatewaySession } from './session/session-cookie';

/** Per-request state of the gateway. */
export interface GatewayContext {
  requestId: string;
  /** The caller's verified bearer token, forwarded to the subgraphs; null when anonymous. */
  token: string | null;
  viewer: Viewer | null;
  /** Where the request comes from (X-Forwarded-For believed only from TRUSTED_PROXIES). */
  clientAddress: string;
  /** The tightest rate-limit bucket this request took from, for the RateLimit-* headers; null when none applies. */
  rateLimit: RateLimitDecision | null;
  /** The browser session's refresh-token cookie, as far as this request may use it (session/). */
  session?: GatewaySession;
  /** What the response cache gathers while the request runs (response-cache/); absent when the cache is off. */
  responseCache?: ResponseCacheRequestState;
}
