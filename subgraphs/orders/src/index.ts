import { createTokenVerifier } from '@fedshop/shared/auth';
import { currentRequestId } from '@fedshop/shared/context';
import { openDatabase } from '@fedshop/shared/database';
import { ORDERS_STREAM, openEventBus, type EventBus, type EventTransport } from '@fedshop/shared/events';
import { openLiveFeed, type LiveFeed } from '@fedshop/shared/live-events';
import { viewerFromRequest } from '@fedshop/shared/graphql';
import { orderV1 } from '@fedshop/shared/grpc';
import { createLogger, type Logger } from '@fedshop/shared/logging';
import { createServiceMetrics } from '@fedshop/shared/metrics';
import { serveSubgraph } from '@fedshop/shared/subgraph';
import { Gauge } from 'prom-client';
import { createUserServiceClient } from './clients/user-service-client';
import { createFeedSignal } from './events/feed-signal';
import { createOrderStatusFeed, ORDER_STATUS_SUBJECT, type OrderStatusMessage } from './events/order-status-feed';
import { startOutboxRelay } from './events/outbox-relay';
import { createOutboxRepository } from './repositories/outbox-repository';
import type { OrdersConfig } from './config';
import { ORDERS_MIGRATIONS_DIR } from './migrations';
import { SEED_CATALOG } from './domain/seed-catalog';
import { createPrismaClient } from './repositories/prisma-client';
import type { OrdersContext } from './graphql/context';
import { createOrdersLoaders } from './use-cases/loaders';
import { buildOrdersSchema } from './graphql/schema';
import { createOrderServiceHandlers } from './grpc/order-service';
import { createOrderRepository } from './repositories/order-repository';
import { createProductRepository } from './repositories/product-repository';
import type { OrdersDependencies } from './use-cases/dependencies';

export { ORDERS_MIGRATIONS_DIR } from './migrations';
export { loadConfig, type OrdersConfig } from './config';

export const SERVICE = 'orders';
export const VERSION = (require('../package.json') as { version: string }).version;

export interface RunningOrdersService {
  /** Base URL of the HTTP server (GraphQL at /graphql). */
  httpUrl: string;
  grpcPort: number;
  /** Stops taking requests, drains in-flight ones, closes the database. */
  stop(): Promise<void>;
}

/**
 * The orders subgraph: the product catalog, orders and stock. Serves GraphQL (for the
 * gateway) and gRPC order.v1.OrderService (for other services); asks the users service over
 * gRPC before accepting an order.
 */
export async function startOrdersService(
  config: OrdersConfig,
  options: {
    logger?: Logger;
    /** The bus to publish events to; default: JetStream at NATS_URL, else none (consumers read the outbox feed over gRPC). */
    eventBus?: EventBus;
    /** Where committed status changes fan out to subscriptions; default: core NATS at NATS_URL, else in process. */
    orderStatusLive?: LiveFeed<OrderStatusMessage>;
  } = {},
): Promise<RunningOrdersService> {
  const logger = options.logger ?? createLogger({ service: SERVICE, version: VERSION, level: config.log.level, pretty: config.log.pretty });
  const metrics = createServiceMetrics(SERVICE);
  const database = await openDatabase(config.database, {
    migrationsDir: ORDERS_MIGRATIONS_DIR,
    applicationName: SERVICE,
    logger,
    onStatement: () => metrics.dbStatements.inc({ origin: currentRequestId() ? 'request' : 'background' }),
  });
  const prisma = createPrismaClient(database.pool);
  const users = createUserServiceClient(config.userServiceAddress, config.grpcClient, logger, metrics.grpc);
  const events = openEventBus({
    natsUrl: config.natsUrl,
    name: SERVICE,
    stream: ORDERS_STREAM,
    namespace: config.natsNamespace,
    logger,
    injected: options.eventBus,
  });
  const transport: EventTransport = events ? 'jetstream' : 'outbox-feed';
  logger.info(
    { eventTransport: transport },
    events
      ? 'order events: published to JetStream (NATS_URL); the outbox feed is served over gRPC too'
      : 'order events: no broker (NATS_URL unset); consumers read the outbox feed over gRPC (order.v1.OrderService/ListOrderEvents)',
  );
  const outbox = createOutboxRepository(prisma);
  const feedSignal = createFeedSignal();
  // Subscriptions hear of committed status changes through this feed (every replica's relay publishes to it).
  const orders = createOrderRepository(prisma);
  const orderStatusFeed = createOrderStatusFeed({
    loadOrder: (orderId) => orders.findById(orderId),
    live:
      options.orderStatusLive ??
      openLiveFeed<OrderStatusMessage>({ natsUrl: config.natsUrl, subject: ORDER_STATUS_SUBJECT, name: SERVICE, logger }),
    logger,
    capacity: config.subscriptionBuffer,
  });
  const relay = startOutboxRelay({
    outbox,
    bus: events?.bus,
    logger,
    idleMs: config.outboxPollMs,
    onReleased: feedSignal.notify,
    retentionSeconds: config.outboxRetentionSeconds,
    onPublished: (published) => orderStatusFeed.publishCommitted(published),
    metrics: {
      backlog: new Gauge({ name: 'outbox_backlog', help: 'Events waiting in the outbox to be released.', registers: [metrics.registry] }),
      oldestPendingSeconds: new Gauge({
        name: 'outbox_oldest_pending_seconds',
        help: 'Age of the oldest event waiting in the outbox, seconds.',
        registers: [metrics.registry],
      }),
      consumerLag: new Gauge({
        name: 'outbox_feed_consumer_lag',
        help: 'Released order events each feed consumer has not acknowledged yet (as of its last request).',
        labelNames: ['consumer'] as const,
        registers: [metrics.registry],
      }),
    },
  });
  const cleanup = async () => {
    feedSignal.close();
    await relay.stop();
    await orderStatusFeed.close();
    await events?.close();
    users.close();
    await prisma.$disconnect().catch(() => undefined);
    await database.close();
  };
  try {
    const products = createProductRepository(prisma);
    if (config.seedCatalog) {
      const seeded = await products.seedIfEmpty(SEED_CATALOG);
      if (seeded > 0) logger.info({ products: seeded }, 'seeded the demo catalog');
    }
    const verifier = createTokenVerifier(config.jwt);
    const deps: OrdersDependencies = { orders, products, users, orderStatusFeed, logger, outboxWritten: () => relay.nudge() };

    const subgraph = await serveSubgraph<OrdersContext>({
      logger,
      metrics,
      database,
      // Answers name the products, orders and users they show, for the gateway's response cache.
      entityKeys: { Product: 'sku', Order: 'id', User: 'id' },
      schema: buildOrdersSchema(),
      introspection: config.nodeEnv !== 'production',
      // Leave a second of the shutdown bound for closing the pool and the database.
      drainTimeoutMs: Math.max(1_000, config.shutdownTimeoutMs - 1_000),
      http: config.http,
      grpc: {
        ...config.grpc,
        services: [
          {
            definition: orderV1.OrderServiceService,
            implementation: createOrderServiceHandlers(deps, { outbox, feedSignal, pollMs: config.outboxPollMs }, logger),
          },
        ],
      },
      readinessInfo: () => ({ events: { transport } }),
      context: async (req, info) => ({
        logger: info.logger,
        viewer: await viewerFromRequest(req, verifier),
        deps,
        loaders: createOrdersLoaders(orders, products),
      }),
    });
    logger.info({ http: subgraph.httpPort, grpc: subgraph.grpcPort }, 'orders service ready');

    return {
      httpUrl: subgraph.httpUrl,
      grpcPort: subgraph.grpcPort,
      async stop() {
        // Feed readers waiting in a long poll answer now instead of holding the drain open.
        feedSignal.close();
        await subgraph.stop();
        await cleanup();
        logger.info('orders service stopped');
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
