import type { Logger } from 'pino';
import type { Viewer } from '@fedshop/shared/auth';
import type { OrdersDependencies } from '../use-cases/dependencies';
import type { OrdersLoaders } from '../use-cases/loaders';

/** Per-request state handed to every resolver and permission rule. */
export interface OrdersContext {
  logger: Logger;
  /** The verified caller, or null when anonymous. */
  viewer: Viewer | null;
  deps: OrdersDependencies;
  /** Fresh per request: batching without caching across users. */
  loaders: OrdersLoaders;
}
