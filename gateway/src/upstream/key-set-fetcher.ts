import type { KeySetFetcher } from '@fedshop/shared/auth';
import { request, type Agent } from './undici-core';

/**
 * Fetches the users service's JWKS through the gateway's undici pool, the one its subgraph
 * calls use, instead of Node's `fetch`: Node's fetch is a second, bundled copy of undici (and
 * its own HTTP parser compiled from WebAssembly) that the gateway would load for this one
 * request every ten minutes (docs/adr/0010-gateway-memory.md). Redirects are not followed, as
 * with the default fetcher; the key set traces the call (its client span's `traceparent` is in `headers`).
 */
export function createKeySetFetcher(agent: Agent): KeySetFetcher {
  return async (url, signal, headers) => {
    const response = await request(url, { dispatcher: agent, headers, signal });
    return { status: response.statusCode, body: await response.body.text() };
  };
}
