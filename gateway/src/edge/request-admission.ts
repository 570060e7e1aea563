import type { IncomingMessage } from 'node:http';
import { parseBearerToken, type TokenVerifier, type Viewer } from '@fedshop/shared/auth';
import { setRequestUser } from '@fedshop/shared/context';
import { toContextError } from '@fedshop/shared/graphql';
import type { RequestInfo } from '@fedshop/shared/http';
import type { GatewayContext } from '../gateway-context';
import { clientAddress, type TrustedProxies } from './client-address';
import type { EdgeMetrics } from './edge-metrics';
import { checkDocumentSize, type OperationLimits } from './operation-limits';
import { requestedOperation, type Safelist } from './persisted-queries';
import type { RateLimiter } from './rate-limit';

export interface RequestAdmissionOptions {
  verifier: TokenVerifier;
  rateLimiter: RateLimiter;
  trustedProxies: TrustedProxies;
  limits: Pick<OperationLimits, 'maxBytes' | 'maxTokens'>;
  /** Only manifest operations run (PERSISTED_QUERIES=safelist); null otherwise. */
  safelist: Safelist | null;
  metrics: EdgeMetrics;
}

/**
 * Builds the gateway's per-request context, admitting the request on the way, cheapest and
 * surest checks first and all before Apollo Server parses anything:
 * 1. the bearer token is verified (invalid → 401; the attempt still costs the address a token,
 *    so forged tokens cannot be sprayed for free);
 * 2. one token is taken from the caller's bucket: the user's when verified, else the address's
 *    (empty → 429 RATE_LIMITED with Retry-After);
 * 3. the document's size in bytes and tokens (→ 400 OPERATION_TOO_LARGE);
 * 4. in safelist mode, the operation must be listed (→ 400 PERSISTED_QUERY_NOT_IN_LIST).
 * Any refusal here means no subgraph is called.
 */
export function createRequestAdmission(options: RequestAdmissionOptions) {
  return async (req: IncomingMessage, info: RequestInfo, body?: unknown): Promise<GatewayContext> => {
    const address = clientAddress(req, options.trustedProxies);
    let token: string | null;
    let viewer: Viewer | null;
    try {
      token = parseBearerToken(req.headers.authorization);
      viewer = token === null ? null : await options.verifier.verify(token);
      if (viewer) setRequestUser(viewer.id);
    } catch (error) {
      await options.rateLimiter.checkRequest({ userId: null, address });
      throw toContextError(error);
    }
    const rateLimit = await options.rateLimiter.checkRequest({ userId: viewer?.id ?? null, address });
    const requested = requestedOperation(req.method, body, info.url.searchParams);
    if (requested.query !== undefined) checkDocumentSize(requested.query, options.limits, options.metrics);
    options.safelist?.check(requested);
    return { requestId: info.requestId, token, viewer, clientAddress: address, rateLimit };
  };
}
