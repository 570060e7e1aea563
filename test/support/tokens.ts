import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TokenClaims {
  sub: string;
  role?: string;
  iss?: string;
  aud?: string;
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
}

/** Signs a token with the users service's own development key (from its DATA_DIR): as valid as a real one unless the claims say otherwise. */
export async function signWithUsersKey(dataDir: string, claims: TokenClaims): Promise<string> {
  const jwk = JSON.parse(readFileSync(path.join(dataDir, 'jwt-signing-key.json'), 'utf8')) as JWK;
  const key = (await importJWK(jwk, 'ES256')) as CryptoKey;
  return sign(key, claims);
}

/** Signs with a fresh key nobody trusts. */
export async function signWithStrangerKey(claims: TokenClaims): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return sign(privateKey, claims);
}

async function sign(key: CryptoKey, claims: TokenClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role ?? 'CUSTOMER' })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? 'fedshop-users')
    .setAudience(claims.aud ?? 'fedshop-api')
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 600)
    .sign(key);
}

/** An unsigned token (`alg: none`) carrying whatever claims an attacker likes. */
export function unsignedToken(claims: TokenClaims): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: 'fedshop-users', aud: 'fedshop-api', iat: now, exp: now + 600, role: 'ADMIN', ...claims })}.`;
}

/** Replaces the payload of a signed token, keeping its signature (which then no longer matches). */
export function tamperPayload(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')), ...changes };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
