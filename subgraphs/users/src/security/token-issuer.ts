import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { TOKEN_ALGORITHM, type Role } from '@fedshop/shared/auth';
import type { Logger } from 'pino';

/** A signed access token and the instant it stops being accepted (its `exp`). */
export interface AccessToken {
  token: string;
  expiresAt: Date;
}

export interface TokenIssuer {
  /** Signs an access token for the account, valid `ttlSeconds` from now. */
  issue(subject: { id: string; role: Role }): Promise<AccessToken>;
  /** The public keys tokens are verified with, served at /.well-known/jwks.json. */
  jwks: JSONWebKeySet;
}

export interface TokenIssuerOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** PKCS#8 PEM of a P-256 private key (required in production). */
  privateKeyPem?: string;
  /** Without a PEM: a development key is kept in this file, created on first start. */
  keyFile?: string;
  /**
   * SPKI PEM public keys (one or more `BEGIN PUBLIC KEY` blocks) of keys other replicas may be
   * signing with during a rotation: published in the JWKS beside the signing key's and accepted
   * by this service (README, Key rotation).
   */
  additionalPublicKeysPem?: string;
  logger: Logger;
}

interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function fromPem(pem: string): Promise<SigningKey> {
  const privateKey = await importPKCS8(pem.replace(/\\n/g, '\n'), TOKEN_ALGORITHM, { extractable: true });
  const { d: _d, ...publicJwk } = await exportJWK(privateKey);
  return { privateKey, publicJwk };
}

async function fromKeyFile(file: string, logger: Logger): Promise<SigningKey> {
  if (existsSync(file)) {
    const privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    const privateKey = (await importJWK(privateJwk, TOKEN_ALGORITHM)) as CryptoKey;
    const { d: _d, ...publicJwk } = privateJwk;
    return { privateKey, publicJwk };
  }
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
  logger.warn({ file }, 'generated a development JWT signing key; set JWT_PRIVATE_KEY in production');
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

const PUBLIC_KEY_BLOCK = /-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----/g;

/** The public keys of JWT_ADDITIONAL_PUBLIC_KEYS; throws naming the variable when one cannot be read. */
async function readAdditionalPublicKeys(pems: string): Promise<JWK[]> {
  const text = pems.replace(/\\n/g, '\n');
  const blocks = text.match(PUBLIC_KEY_BLOCK) ?? [];
  if (blocks.length === 0 || text.replace(PUBLIC_KEY_BLOCK, '').trim() !== '') {
    throw new Error('JWT_ADDITIONAL_PUBLIC_KEYS: expected one or more PEM "BEGIN PUBLIC KEY" blocks and nothing else');
  }
  return Promise.all(
    blocks.map(async (block, index) => {
      try {
        return await exportJWK(await importSPKI(block, TOKEN_ALGORITHM, { extractable: true }));
      } catch (error) {
        throw new Error(`JWT_ADDITIONAL_PUBLIC_KEYS: key ${index + 1} is not a P-256 public key (${(error as Error).message})`, {
          cause: error,
        });
      }
    }),
  );
}

async function ephemeral(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM);
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

/**
 * Signs ES256 access tokens (asymmetric, so verifiers only ever hold the public key).
 * The key id is the key's JWK thumbprint, so a rotated key gets a new kid automatically. The
 * JWKS holds the signing key and any additional public keys, so replicas that sign with
 * different keys mid-rotation each verify (and publish) the other's.
 */
export async function createTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const key = options.privateKeyPem
    ? await fromPem(options.privateKeyPem)
    : options.keyFile
      ? await fromKeyFile(options.keyFile, options.logger)
      : await ephemeral();
  const published = async (jwk: JWK): Promise<JWK> => ({
    ...jwk,
    kid: await calculateJwkThumbprint(jwk),
    alg: TOKEN_ALGORITHM,
    use: 'sig',
  });
  const publicJwk = await published(key.publicJwk);
  const kid = publicJwk.kid!;
  // The signing key first; a listed key equal to it is not published twice.
  const additional = options.additionalPublicKeysPem
    ? await Promise.all((await readAdditionalPublicKeys(options.additionalPublicKeysPem)).map(published))
    : [];
  const keys = [
    publicJwk,
    ...additional.filter((candidate, i) => candidate.kid !== kid && additional.findIndex((other) => other.kid === candidate.kid) === i),
  ];
  return {
    jwks: { keys },
    async issue({ id, role }) {
      // One instant for `iat`, `exp` and the expiry the client is told (whole seconds, as in the JWT).
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({ role })
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: 'JWT' })
        .setSubject(id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(key.privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}
