import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AppError, serviceUnavailable, unauthenticated } from '../errors/app-error';
import { createRemoteKeySet, KeySetUnavailableError, type KeySetFetcher } from './remote-key-set';
import { ROLES, type Role, type Viewer } from './viewer';

/** How long a fetched JWKS is kept before it is fetched again, ms (10 minutes). */
export const KEY_SET_MAX_AGE_MS = 10 * 60_000;

/** The only signature algorithm accepted: `alg: none`, HS256 key-confusion and the rest are refused. */
export const TOKEN_ALGORITHM = 'ES256';

export interface TokenVerifierOptions {
  /** Expected `iss` claim. */
  issuer: string;
  /** Expected `aud` claim. */
  audience: string;
  /** Where the signer publishes its public keys (the users service's `/.well-known/jwks.json`). */
  jwksUrl?: string;
  /** How the remote key set is fetched (default Node's `fetch`; the gateway passes its undici pool's). */
  fetchKeySet?: KeySetFetcher;
  /** A key set held in memory instead (the users service verifies its own tokens this way). */
  jwks?: JSONWebKeySet;
  /** Allowed clock skew in seconds; default 5. */
  clockToleranceSeconds?: number;
  /**
   * How many verified tokens to remember until they expire, so a token's signature is checked
   * once rather than on every request (10000; 0 turns the cache off).
   */
  cacheSize?: number;
  /**
   * How long a verified token is served from the cache at most, ms, whatever its `exp`
   * (default {@link KEY_SET_MAX_AGE_MS}, the remote key set's own cache age): a signing key
   * withdrawn from the JWKS stops being accepted within the same bound as without the cache.
   */
  cacheMaxAgeMs?: number;
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
}

export interface TokenVerifier {
  /** Resolves to the viewer the token proves, or rejects with UNAUTHENTICATED (SERVICE_UNAVAILABLE if the JWKS cannot be fetched: unreachable, too slow, not 200 or not a key set). */
  verify(token: string): Promise<Viewer>;
  /**
   * As `verify`, plus the last instant (ms since the epoch) at which `verify` would still
   * accept the token (its `exp` plus the clock tolerance): what a long-lived subscription
   * opened with it may last.
   */
  verifyWithExpiry(token: string): Promise<{ viewer: Viewer; validUntilMs: number }>;
}

/**
 * Verifies access tokens. A remote JWKS is fetched lazily, cached for ten minutes and
 * refetched (at most every 30 s) when a token names an unknown key id, so key rotation at
 * the signer needs no restart here.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  let keys: JWTVerifyGetKey;
  if (options.jwks) {
    keys = createLocalJWKSet(options.jwks);
  } else if (options.jwksUrl) {
    keys = createRemoteKeySet({
      url: options.jwksUrl,
      fetcher: options.fetchKeySet,
      maxAgeMs: KEY_SET_MAX_AGE_MS,
      cooldownMs: 30_000,
      timeoutMs: 3_000,
      now,
    });
  } else {
    throw new Error('createTokenVerifier needs jwks or jwksUrl');
  }
  const cache = new VerifiedTokenCache(options.cacheSize ?? 10_000);
  const toleranceMs = (options.clockToleranceSeconds ?? 5) * 1000;
  const verifyWithExpiry = async (token: string): Promise<{ viewer: Viewer; validUntilMs: number }> => {
    const cached = cache.get(token, now());
    if (cached) return { viewer: cached.viewer, validUntilMs: cached.expiresAtMs + toleranceMs };
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [TOKEN_ALGORITHM],
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: new Date(now()),
      });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role)) {
        throw unauthenticated('The access token is invalid.');
      }
      const viewer: Viewer = { id: payload.sub, role: role as Role };
      const expiresAtMs = (payload.exp as number) * 1000;
      // Served from the cache until its expiry, but no longer than the key set is (a signing key
      // withdrawn from the JWKS stops being accepted within the same bound as without the cache).
      cache.set(token, viewer, expiresAtMs, Math.min(expiresAtMs, now() + (options.cacheMaxAgeMs ?? KEY_SET_MAX_AGE_MS)));
      return { viewer, validUntilMs: expiresAtMs + toleranceMs };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The access token has expired.');
      if (error instanceof KeySetUnavailableError) {
        throw serviceUnavailable('Cannot check the access token right now, try again shortly.', { cause: error });
      }
      throw unauthenticated('The access token is invalid.');
    }
  };
  return {
    verifyWithExpiry,
    async verify(token) {
      return (await verifyWithExpiry(token)).viewer;
    },
  };
}

/**
 * Tokens whose signature and claims were verified, until their `exp` (at most the key set's age). Only a verified token
 * gets in (keyed by its whole text), so a hit is exactly as trustworthy as a fresh check;
 * the oldest entry makes room when full.
 */
class VerifiedTokenCache {
  private readonly entries = new Map<string, { viewer: Viewer; expiresAtMs: number; cachedUntilMs: number }>();
  constructor(private readonly capacity: number) {}

  get(token: string, nowMs: number): { viewer: Viewer; expiresAtMs: number } | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.cachedUntilMs <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, viewer: Viewer, expiresAtMs: number, cachedUntilMs: number): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { viewer, expiresAtMs, cachedUntilMs });
  }
}

/**
 * Reads `Authorization: Bearer <token>`. No header means anonymous (null); anything else that
 * is not a well-formed bearer token is refused rather than silently treated as anonymous.
 */
export function parseBearerToken(header: string | undefined | null): string | null {
  if (header === undefined || header === null || header === '') return null;
  // The auth scheme is case-insensitive (RFC 9110 §11.1); the token is base64url segments.
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim());
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>".');
  return match[1];
}
