import type { Viewer } from '@fedshop/shared';

/** Per-request state of the gateway. */
export interface GatewayContext {
  requestId: string;
  /** The caller's verified bearer token, forwarded to the subgraphs; null when anonymous. */
  token: string | null;
  viewer: Viewer | null;
}
