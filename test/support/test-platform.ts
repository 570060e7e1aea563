import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventBus } from '@fedshop/shared/events';
import { captureLogger, createTestDatabase, freePort, type CapturedLogger, type TestDatabase } from '@fedshop/shared/testing';
import { loadConfig as loadGatewayConfig, startGateway, type RunningGateway } from '../../gateway/src';
import { loadConfig as loadOrdersConfig, startOrdersService, type RunningOrdersService } from '../../subgraphs/orders/src';
import { loadConfig as loadUsersConfig, startUsersService, type RunningUsersService } from '../../subgraphs/users/src';
import { graphqlClient, type GraphQLSend } from './graphql-client';

export const TEST_ADMIN = { email: 'admin@test.fedshop', password: 'admin-test-password' };

/** Rate limits no functional test reaches (the defaults are 300 / 1200 / 10 per minute). */
export const GENEROUS_RATE_LIMITS = {
  RATE_LIMIT_ANON_PER_MIN: '100000',
  RATE_LIMIT_USER_PER_MIN: '100000',
  RATE_LIMIT_AUTH_PER_MIN: '100000',
};

/** The environment of one more gateway in front of the platform's subgraphs (`env` on top). */
export function gatewayEnvFor(platform: TestPlatform, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    USERS_URL: `${platform.usersUrl}/graphql`,
    ORDERS_URL: `${platform.ordersUrl}/graphql`,
    JWKS_URL: `${platform.usersUrl}/.well-known/jwks.json`,
    ...GENEROUS_RATE_LIMITS,
    ...env,
  };
}

export interface TestPlatform {
  gatewayUrl: string;
  usersUrl: string;
  ordersUrl: string;
  usersGrpcPort: number;
  ordersGrpcPort: number;
  usersDatabase: TestDatabase;
  ordersDatabase: TestDatabase;
  /** The users service's DATA_DIR (its JWT signing key lives here). */
  dataDir: string;
  /** GraphQL through the gateway. */
  gql: GraphQLSend;
  logs: { users: CapturedLogger; orders: CapturedLogger; gateway: CapturedLogger };
  users: RunningUsersService;
  /** Stops the users service (as a crash would cut its consumer) and starts it again on the same ports and database. */
  restartUsers(): Promise<void>;
  orders: RunningOrdersService;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  /**
   * A JetStream connection of its own for each subgraph. Default none: order events travel as
   * under `npm start` with no NATS_URL, users reading the orders outbox feed over gRPC.
   */
  eventBuses?: { users: EventBus; orders: EventBus };
  usersEnv?: Record<string, string>;
  ordersEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

/**
 * The three services in this process, each on its own fresh database, talking over real
 * sockets (HTTP on random ports, gRPC on free ports), the gateway serving the committed
 * supergraph. The same start functions `npm start` runs.
 */
export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-platform-'));
  const [usersDatabase, ordersDatabase, usersGrpc, ordersGrpc, usersHttp] = await Promise.all([
    createTestDatabase('users'),
    createTestDatabase('orders'),
    freePort(),
    freePort(),
    // A fixed port, so the users service can be restarted behind the same URL.
    freePort(),
  ]);
  const logs = { users: captureLogger('users'), orders: captureLogger('orders'), gateway: captureLogger('gateway') };
  const buses = options.eventBuses;
  const common = { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0' };
  const usersConfig = loadUsersConfig({
    ...common,
    PORT: String(usersHttp),
    GRPC_PORT: String(usersGrpc),
    DATABASE_URL: usersDatabase.url,
    DATA_DIR: dataDir,
    ORDER_SERVICE_ADDR: `127.0.0.1:${ordersGrpc}`,
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    SCRYPT_COST: '1024',
    ...options.usersEnv,
  });
  let users = await startUsersService(usersConfig, { logger: logs.users.logger, eventBus: buses?.users });
  const jwksUrl = `${users.httpUrl}/.well-known/jwks.json`;
  const orders = await startOrdersService(
    loadOrdersConfig({
      ...common,
      GRPC_PORT: String(ordersGrpc),
      DATABASE_URL: ordersDatabase.url,
      USER_SERVICE_ADDR: `127.0.0.1:${usersGrpc}`,
      JWKS_URL: jwksUrl,
      ...options.ordersEnv,
    }),
    { logger: logs.orders.logger, eventBus: buses?.orders },
  );
  const gateway = await startGateway(
    loadGatewayConfig({
      ...common,
      USERS_URL: `${users.httpUrl}/graphql`,
      ORDERS_URL: `${orders.httpUrl}/graphql`,
      JWKS_URL: jwksUrl,
      // Functional tests send everything from 127.0.0.1 in bursts: budgets out of their way.
      // test/edge sets the real ones.
      ...GENEROUS_RATE_LIMITS,
      ...options.gatewayEnv,
    }),
    { logger: logs.gateway.logger },
  );
  return {
    gatewayUrl: gateway.url,
    usersUrl: users.httpUrl,
    ordersUrl: orders.httpUrl,
    usersGrpcPort: users.grpcPort,
    ordersGrpcPort: orders.grpcPort,
    usersDatabase,
    ordersDatabase,
    dataDir,
    gql: graphqlClient(`${gateway.url}/graphql`),
    logs,
    get users() {
      return users;
    },
    orders,
    gateway,
    async restartUsers() {
      await users.stop();
      users = await startUsersService(usersConfig, { logger: logs.users.logger, eventBus: buses?.users });
    },
    async stop() {
      await gateway.stop();
      await Promise.all([users.stop(), orders.stop()]);
      await Promise.all([usersDatabase.drop(), ordersDatabase.drop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Kept here for the tests that import it with the platform. */
export { readMetric } from '@fedshop/shared/testing';
