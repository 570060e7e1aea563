import { createTokenVerifier, REFRESH_TOKEN_HEADER } from '@fedshop/shared/auth';
import { currentRequestId } from '@fedshop/shared/context';
import { openDatabase } from '@fedshop/shared/database';
import { openEventBus, ORDERS_STREAM, type EventBus, type EventTransport } from '@fedshop/shared/events';
import { openLiveFeed, type LiveFeed } from '@fedshop/shared/live-events';
import { createLoyaltyFeed, LOYALTY_SUBJECT, type LoyaltyChangeMessage } from './events/loyalty-feed';
import { viewerFromRequest } from '@fedshop/shared/graphql';
import { userV1 } from '@fedshop/shared/grpc';
import { sendJson } from '@fedshop/shared/http';
import { createLogger, type Logger } from '@fedshop/shared/logging';
import { createServiceMetrics } from '@fedshop/shared/metrics';
import { serveSubgraph } from '@fedshop/shared/subgraph';
import { createOrderServiceClient } from './clients/order-service-client';
import type { UsersConfig } from './config';
import { USERS_MIGRATIONS_DIR } from './migrations';
import { createPrismaClient } from './repositories/prisma-client';
import type { UsersContext } from './graphql/context';
import { createUserByIdLoader } from './use-cases/loaders';
import { buildUsersSchema } from './graphql/schema';
import { sessionHeadersPlugin } from './graphql/session-headers-plugin';
import { createUserServiceHandlers } from './grpc/user-service';
import { createSignInFailureRepository } from './repositories/sign-in-failure-repository';
import { startOrderEventsConsumer, type OrderEventsConsumer } from './events/order-events-consumer';
import { createEventFeedCursorRepository } from './repositories/event-feed-cursor-repository';
import { createParkedEventRepository } from './repositories/parked-event-repository';
import { createLoyaltyRepository } from './repositories/loyalty-repository';
import { createRefreshTokenRepository } from './repositories/refresh-token-repository';
import { createUserRepository } from './repositories/user-repository';
import { createPasswordHasher } from './security/password-hasher';
import { createTokenIssuer } from './security/token-issuer';
import { checkViewerAccount } from './use-cases/check-viewer-account';
import type { UsersDependencies } from './use-cases/dependencies';
import { createSignInThrottle, systemClock, type Clock } from './use-cases/sign-in-throttle';
import { ensureAdmin } from './use-cases/manage-accounts';

export { USERS_MIGRATIONS_DIR } from './migrations';
export { loadConfig, type UsersConfig } from './config';

export const SERVICE = 'users';
export const VERSION = (require('../package.json') as { version: string }).version;

export interface RunningUsersService {
  /** Base URL of the HTTP server (GraphQL at /graphql). */
  httpUrl: string;
  grpcPort: number;
  /** Stops taking requests, drains in-flight ones, closes the database. */
  stop(): Promise<void>;
}

/**
 * The users subgraph: accounts, sign-up/sign-in and the token signing key. Serves GraphQL
 * (for the gateway), gRPC user.v1.UserService (for other services) and the JWKS.
 */
export async function startUsersService(
  config: UsersConfig,
  options: {
    logger?: Logger;
    /** The bus order events arrive on; default: JetStream at NATS_URL, else none (the orders outbox feed over gRPC). */
    eventBus?: EventBus;
    /** Time for sign-in throttling; default the system clock (tests record the waits instead of timing them). */
    clock?: Clock;
    /** Where committed loyalty changes fan out to subscriptions; default: core NATS at NATS_URL, else in process. */
    loyaltyLive?: LiveFeed<LoyaltyChangeMessage>;
  } = {},
): Promise<RunningUsersService> {
  const logger = options.logger ?? createLogger({ service: SERVICE, version: VERSION, level: config.log.level, pretty: config.log.pretty });
  const metrics = createServiceMetrics(SERVICE);
  const database = await openDatabase(config.database, {
    migrationsDir: USERS_MIGRATIONS_DIR,
    applicationName: SERVICE,
    logger,
    onStatement: () => metrics.dbStatements.inc({ origin: currentRequestId() ? 'request' : 'background' }),
  });
  const prisma = createPrismaClient(database.pool);
  const orders = createOrderServiceClient(config.orderServiceAddress, config.grpcClient, logger, metrics.grpc);
  const events = openEventBus({
    natsUrl: config.natsUrl,
    name: SERVICE,
    stream: ORDERS_STREAM,
    namespace: config.natsNamespace,
    logger,
    injected: options.eventBus,
  });
  const transport: EventTransport = events ? 'jetstream' : 'outbox-feed';
  let consumer: OrderEventsConsumer | undefined;
  // Subscriptions hear of committed loyalty changes through this feed (the consumer publishes after each commit).
  const loyaltyFeed = createLoyaltyFeed({
    live:
      options.loyaltyLive ??
      openLiveFeed<LoyaltyChangeMessage>({ natsUrl: config.natsUrl, subject: LOYALTY_SUBJECT, name: SERVICE, logger }),
    capacity: config.subscriptionBuffer,
  });
  const cleanup = async () => {
    await consumer?.close();
    await loyaltyFeed.close();
    await events?.close();
    orders.close();
    await prisma.$disconnect().catch(() => undefined);
    await database.close();
  };
  try {
    const users = createUserRepository(prisma);
    const tokens = await createTokenIssuer({ ...config.jwt, keyFile: config.jwt.privateKeyPem ? undefined : config.jwt.keyFile, logger });
    const verifier = createTokenVerifier({ jwks: tokens.jwks, issuer: config.jwt.issuer, audience: config.jwt.audience });
    const clock = options.clock ?? systemClock;
    const signInThrottle = createSignInThrottle(createSignInFailureRepository(prisma), config.signInThrottle, clock, logger);
    consumer = await startOrderEventsConsumer({
      bus: events?.bus,
      orders,
      consumer: config.eventsConsumer,
      ackWaitMs: config.eventsAckWaitMs,
      maxAttempts: config.eventsMaxAttempts,
      loyalty: createLoyaltyRepository(prisma),
      parked: createParkedEventRepository(prisma),
      cursors: createEventFeedCursorRepository(prisma),
      logger,
      registry: metrics.registry,
      onLoyaltyChanged: (change) =>
        loyaltyFeed.publishCommitted({
          eventId: change.eventId,
          userId: change.userId,
          ...(change.traceparent ? { traceparent: change.traceparent } : {}),
        }),
    });
    const deps: UsersDependencies = {
      users,
      passwords: createPasswordHasher(config.scryptCost),
      tokens,
      orders,
      signInThrottle,
      refreshTokens: createRefreshTokenRepository(prisma),
      sessions: config.sessions,
      clock,
      loyaltyFeed,
      logger,
    };
    if (config.admin) {
      await ensureAdmin(deps, config.admin);
      if (config.admin.isDevelopmentDefault) {
        // A published development credential, not a secret: say it so a newcomer can sign in.
        logger.warn(`development admin account ${config.admin.email} / ${config.admin.password}; set ADMIN_EMAIL and ADMIN_PASSWORD`);
      }
    }

    const subgraph = await serveSubgraph<UsersContext>({
      logger,
      metrics,
      database,
      schema: buildUsersSchema(),
      plugins: [sessionHeadersPlugin()],
      // Answers name the users they show, for the gateway's response cache.
      entityKeys: { User: 'id' },
      introspection: config.nodeEnv !== 'production',
      // Leave a second of the shutdown bound for closing the pool and the database.
      drainTimeoutMs: Math.max(1_000, config.shutdownTimeoutMs - 1_000),
      http: config.http,
      grpc: {
        ...config.grpc,
        services: [{ definition: userV1.UserServiceService, implementation: createUserServiceHandlers(deps, logger) }],
      },
      readinessInfo: () => ({ events: { transport, consumer: config.eventsConsumer } }),
      routes: {
        'GET /.well-known/jwks.json': (_req, res) => sendJson(res, 200, tokens.jwks, { 'cache-control': 'public, max-age=300' }),
      },
      context: async (req, info) => {
        const viewer = await viewerFromRequest(req, verifier);
        const userById = createUserByIdLoader(users);
        if (viewer) await checkViewerAccount(viewer, userById);
        const presented = req.headers[REFRESH_TOKEN_HEADER];
        return {
          logger: info.logger,
          viewer,
          deps,
          userById,
          signedInUserIds: new Set<string>(),
          presentedRefreshToken: typeof presented === 'string' && presented !== '' ? presented : null,
          sessionCookie: null,
        };
      },
    });
    logger.info({ http: subgraph.httpPort, grpc: subgraph.grpcPort }, 'users service ready');

    return {
      httpUrl: subgraph.httpUrl,
      grpcPort: subgraph.grpcPort,
      async stop() {
        await subgraph.stop();
        await cleanup();
        logger.info('users service stopped');
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
