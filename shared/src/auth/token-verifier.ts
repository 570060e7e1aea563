import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AppError, serviceUnavailable, unauthenticated } from '../errors/app-error';
import { ROLES, type Role, type Viewer } from './viewer';

/** The only signature algorithm accepted: `alg: none`, HS256 key-confusion and the rest are refused. */
export const TOKEN_ALGORITHM = 'ES256';

export interface TokenVerifierOptions {
  /** Expected `iss` claim. */
  issuer: string;
  /** Expected `aud` claim. */
  audience: string;
  /** Where the signer publishes its public keys (the users service's `/.well-known/jwks.json`). */
  jwksUrl?: string;
  /** A key set held in memory instead (the users service verifies its own tokens this way). */
  jwks?: JSONWebKeySet;
  /** Allowed clock skew in seconds; default 5. */
  clockToleranceSeconds?: number;
  /**
   * How many verified tokens to remember until they expire, so a token's signature is checked
   * once rather than on every request (10000; 0 turns the cache off).
   */
  cacheSize?: number;
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
}

export interface TokenVerifier {
  /** Resolves to the viewer the token proves, or rejects with UNAUTHENTICATED (SERVICE_UNAVAILABLE if the JWKS cannot be fetched). */
  verify(token: string): Promise<Viewer>;
}

/**
 * Verifies access tokens. A remote JWKS is fetched lazily, cached for ten minutes and
 * refetched (at most every 30 s) when a token names an unknown key id, so key rotation at
 * the signer needs no restart here.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let keys: JWTVerifyGetKey;
  if (options.jwks) {
    keys = createLocalJWKSet(options.jwks);
  } else if (options.jwksUrl) {
    keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: 10 * 60_000,
      cooldownDuration: 30_000,
      timeoutDuration: 3_000,
    });
  } else {
    throw new Error('createTokenVerifier needs jwks or jwksUrl');
  }
  const cache = new VerifiedTokenCache(options.cacheSize ?? 10_000);
  const now = options.now ?? Date.now;
  return {
    async verify(token) {
      const cached = cache.get(token, now());
      if (cached) return cached;
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
        cache.set(token, viewer, (payload.exp as number) * 1000);
        return viewer;
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The access token has expired.');
        if (error instanceof joseErrors.JWKSTimeout || isFetchFailure(error)) {
          throw serviceUnavailable('Cannot check the access token right now, try again shortly.', { cause: error });
        }
        throw unauthenticated('The access token is invalid.');
      }
    },
  };
}

/**
 * Tokens whose signature and claims were verified, until their `exp`. Only a verified token
 * gets in (keyed by its whole text), so a hit is exactly as trustworthy as a fresh check;
 * the oldest entry makes room when full.
 */
class VerifiedTokenCache {
  private readonly entries = new Map<string, { viewer: Viewer; expiresAtMs: number }>();
  constructor(private readonly capacity: number) {}

  get(token: string, nowMs: number): Viewer | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.viewer;
  }

  set(token: string, viewer: Viewer, expiresAtMs: number): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { viewer, expiresAtMs });
  }
}

function isFetchFailure(error: unknown): boolean {
  // jose surfaces network failures of the JWKS fetch as fetch()'s TypeError. Checked by name:
  // the error may come from another realm (fetch is Node's own), where instanceof fails.
  return error instanceof Error && error.name === 'TypeError' && /fetch/i.test(error.message);
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
