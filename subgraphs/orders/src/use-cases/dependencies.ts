import type { Logger } from 'pino';
import type { UserServiceClient } from '../clients/user-service-client';
import type { OrderStatusFeed } from '../events/order-status-feed';
import type { OrderRepository } from '../repositories/order-repository';
import type { ProductRepository } from '../repositories/product-repository';

/** Everything the orders use cases need, injected once at start (tests pass their own). */
export interface OrdersDependencies {
  orders: OrderRepository;
  products: ProductRepository;
  users: UserServiceClient;
  /** Committed status changes, for subscriptions. */
  orderStatusFeed: OrderStatusFeed;
  logger: Logger;
  /** Tells the outbox relay a write just committed an event, so it publishes now rather than at its next poll. */
  outboxWritten?: () => void;
}
