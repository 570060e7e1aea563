import { PrismaPg } from '@prisma/adapter-pg';
import { createTokenVerifier } from '@fedshop/shared/auth';
import { currentRequestId } from '@fedshop/shared/context';
import { openDatabase } from '@fedshop/shared/database';
import { ORDERS_STREAM, openEventBus, type EventBus } from '@fedshop/shared/events';
import { viewerFromRequest } from '@fedshop/shared/graphql';
import { orderV1 } from '@fedshop/shared/grpc';
import { createLogger, type Logger } from '@fedshop/shared/logging';
import { createServiceMetrics } from '@fedshop/shared/metrics';
import { serveSubgraph } from '@fedshop/shared/subgraph';
import { Gauge } from 'prom-client';
import { createUserServiceClient } from './clients/user-service-client';
import { startOutboxRelay } from './events/outbox-relay';
import { createOutboxRepository } from './repositories/outbox-repository';
import type { OrdersConfig } from './config';
import { ORDERS_MIGRATIONS_DIR } from './migrations';
import { SEED_CATALOG } from './domain/seed-catalog';
import { PrismaClient } from './generated/prisma/client';
import type { OrdersContext } from './graphql/context';
import { createOrdersLoaders } from './graphql/loaders';
import { buildOrdersSchema } from './graphql/schema';
import { createOrderServiceHandlers } from './grpc/order-service';
import { createOrderRepository } from './repositories/order-repository';
import { createProductRepository } from './repositories/product-repository';
import type { OrdersDependencies } from './use-cases/dependencies';

export { ORDERS_MIGRATIONS_DIR } from './migrations';
export { loadConfig, type OrdersConfig } from './config';

export const SERVICE = 'orders';
export const VERSION: string = require('../package.json').version;

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
    /** The bus to publish events to; default: JetStream at NATS_URL, else an in-process bus. */
    eventBus?: EventBus;
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
  const prisma = new PrismaClient({ adapter: new PrismaPg(database.pool) });
  const users = createUserServiceClient(config.userServiceAddress, config.grpcClient, logger, metrics.grpc);
  const events = openEventBus({
    natsUrl: config.natsUrl,
    name: SERVICE,
    stream: ORDERS_STREAM,
    namespace: config.natsNamespace,
    logger,
    injected: options.eventBus,
  });
  const relay = startOutboxRelay({
    outbox: createOutboxRepository(prisma),
    bus: events.bus,
    logger,
    idleMs: config.outboxPollMs,
    metrics: {
      backlog: new Gauge({ name: 'outbox_backlog', help: 'Events waiting in the outbox.', registers: [metrics.registry] }),
      oldestPendingSeconds: new Gauge({
        name: 'outbox_oldest_pending_seconds',
        help: 'Age of the oldest event waiting in the outbox, seconds.',
        registers: [metrics.registry],
      }),
    },
  });
  const cleanup = async () => {
    await relay.stop();
    await events.close();
    users.close();
    await prisma.$disconnect().catch(() => undefined);
    await database.close();
  };
  try {
    const orders = createOrderRepository(prisma);
    const products = createProductRepository(prisma);
    if (config.seedCatalog) {
      const seeded = await products.seedIfEmpty(SEED_CATALOG);
      if (seeded > 0) logger.info({ products: seeded }, 'seeded the demo catalog');
    }
    const verifier = createTokenVerifier(config.jwt);
    const deps: OrdersDependencies = { orders, products, users, logger };

    const subgraph = await serveSubgraph<OrdersContext>({
      logger,
      metrics,
      database,
      schema: buildOrdersSchema(),
      introspection: config.nodeEnv !== 'production',
      // Leave a second of the shutdown bound for closing the pool and the database.
      drainTimeoutMs: Math.max(1_000, config.shutdownTimeoutMs - 1_000),
      http: config.http,
      grpc: {
        ...config.grpc,
        services: [{ definition: orderV1.OrderServiceService, implementation: createOrderServiceHandlers(deps, logger) }],
      },
      context: async (req, info) => ({
        requestId: info.requestId,
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
