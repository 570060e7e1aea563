import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { startHttpClientSpan } from '../telemetry/http-spans';

/** What one fetch of the key set got back. */
export interface KeySetResponse {
  status: number;
  /** The body as text (a JWKS document when the status is 200). */
  body: string;
}

/**
 * Fetches the JWKS document at `url` with a GET and the given `headers` (its `accept` and the
 * fetch's `traceparent`), without following redirects: resolves with any HTTP status, rejects
 * on a transport failure. It must stop when `signal` aborts (the key set's timeout). The
 * default is Node's `fetch`; the gateway passes one that goes through its own undici pool, so
 * that Node's bundled fetch is never loaded there.
 */
export type KeySetFetcher = (url: URL, signal: AbortSignal, headers: Record<string, string>) => Promise<KeySetResponse>;

/**
 * The key set could not be fetched: the server was unreachable or too slow, or did not answer
 * 200 with a JWKS document. The token verifier answers SERVICE_UNAVAILABLE (retryable) for it,
 * never UNAUTHENTICATED: the token may well be valid, and clients drop tokens refused as invalid.
 */
export class KeySetUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySetUnavailableError';
  }
}

export interface RemoteKeySetOptions {
  /** Where the signer publishes its public keys (the users service's `/.well-known/jwks.json`). */
  url: string | URL;
  /** How the document is fetched; default Node's `fetch`. */
  fetcher?: KeySetFetcher;
  /** How long a fetched set is used before it is fetched again, ms; default 600000 (10 minutes). */
  maxAgeMs?: number;
  /**
   * After a fetch, how long a token naming an unknown key id is refused without fetching again,
   * ms; default 30000. Bounds what forged key ids can make the verifier fetch.
   */
  cooldownMs?: number;
  /** How long one fetch may take, body included, ms; default 3000. */
  timeoutMs?: number;
  /** The clock, ms since the epoch; default `Date.now`. */
  now?: () => number;
}

const ACCEPT = 'application/json, application/jwk-set+json';

/** Node's fetch: what every service but the gateway uses. */
const fetchWithNodeFetch: KeySetFetcher = async (url, signal, headers) => {
  const response = await fetch(url, { signal, redirect: 'manual', headers });
  return { status: response.status, body: await response.text() };
};

/**
 * A remote JSON Web Key Set for `jwtVerify`, with the semantics of jose's `createRemoteJWKSet`
 * (which this replaces so that the fetch is pluggable: jose's builds WHATWG `Headers`, and with
 * them loads Node's bundled fetch, even when given a fetch of its own). The set is fetched on
 * first use and again once older than `maxAgeMs`; a token naming a key id the set lacks makes
 * it fetch again at once (a rotation at the signer: `JWT_ADDITIONAL_PUBLIC_KEYS` publishes the
 * next key before it signs with it), unless the last fetch is younger than `cooldownMs`.
 * Concurrent callers share one fetch. A failed fetch rejects with {@link KeySetUnavailableError}
 * (and the next call tries again); an unknown key id after the fetch rejects with jose's
 * `JWKSNoMatchingKey`, as jose's would.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): JWTVerifyGetKey {
  const url = new URL(options.url);
  const fetcher = options.fetcher ?? fetchWithNodeFetch;
  const maxAgeMs = options.maxAgeMs ?? 600_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const now = options.now ?? Date.now;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAtMs = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  const fetchKeySet = async (): Promise<JSONWebKeySet> => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    // A client span in the trace of the request that needed the keys; the signer's server span continues it.
    const span = startHttpClientSpan('GET', url.href, { accept: ACCEPT });
    let response: KeySetResponse;
    try {
      response = await fetcher(url, deadline.signal, span.headers);
      span.end({ status: response.status });
    } catch (error) {
      span.end({ error });
      throw new KeySetUnavailableError(
        deadline.signal.aborted
          ? `the key set at ${url.href} did not answer within ${timeoutMs} ms`
          : `the key set at ${url.href} is unreachable (${(error as Error).message})`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    if (response.status !== 200) throw new KeySetUnavailableError(`the key set at ${url.href} answered HTTP ${response.status}`);
    try {
      return JSON.parse(response.body) as JSONWebKeySet;
    } catch (error) {
      throw new KeySetUnavailableError(`the key set at ${url.href} is not JSON`, { cause: error });
    }
  };

  const reload = (): Promise<void> => {
    pending ??= fetchKeySet()
      .then((document) => {
        try {
          local = createLocalJWKSet(document);
        } catch (error) {
          throw new KeySetUnavailableError(`the key set at ${url.href} is not a JSON Web Key Set`, { cause: error });
        }
        fetchedAtMs = now();
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return async (protectedHeader, token) => {
    if (!local || now() >= fetchedAtMs + maxAgeMs) await reload();
    try {
      return await local!(protectedHeader, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || now() < fetchedAtMs + cooldownMs) throw error;
      await reload();
      return local!(protectedHeader, token);
    }
  };
}
