import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Role } from '@fedshop/shared/auth';
import { captureLogger, createTestDatabase, type CapturedLogger, type TestDatabase } from '@fedshop/shared/testing';
import { graphqlClient, type GraphQLSend } from '../../../../test/support/graphql-client';
import { loadConfig, startOrdersService, type RunningOrdersService } from '../../src';
import {
  startFakeTokenIssuer,
  startFakeUserService,
  type FakeAccountState,
  type FakeTokenIssuer,
  type FakeUserService,
} from './network-fakes';

export interface Account {
  id: string;
  role: Role;
  token: string;
}

/** Row counts and every product's stock: equal snapshots mean nothing was written. */
export interface DatabaseSnapshot {
  orders: number;
  orderItems: number;
  stock: Record<string, number>;
}

export interface OrdersUnderTest {
  /** Base URL of the running service (GraphQL at /graphql, metrics at /metrics). */
  httpUrl: string;
  grpcPort: number;
  /** GraphQL straight to the subgraph; never throws. */
  gql: GraphQLSend;
  database: TestDatabase;
  /** SQL on the service's database, for checks the API cannot make. */
  sql: pg.Pool;
  users: FakeUserService;
  tokens: FakeTokenIssuer;
  logs: CapturedLogger;
  /** Log lines at level error or above since the last call: unexpected failures the client saw masked. */
  takeErrorLogs(): Record<string, unknown>[];
  /** A new account the fake users service answers for (ACTIVE unless told), with a signed token. */
  account(options?: { role?: Role; state?: FakeAccountState }): Promise<Account>;
  /** Creates or replaces a product through the API, as an admin. */
  upsertProduct(product: { sku: string; priceCents?: number; stock?: number; name?: string; currency?: string }): Promise<void>;
  stockOf(sku: string): Promise<number>;
  snapshot(): Promise<DatabaseSnapshot>;
  /** Stops the service and starts it again on the same database and fakes. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real orders service, started with the same function as `npm start`, on port 0 and a
 * fresh database, talking only to fakes at the network boundary (users gRPC and JWKS).
 * `env` overrides its environment (e.g. GRPC_DEADLINE_MS).
 */
export async function startOrdersUnderTest(env: Record<string, string> = {}): Promise<OrdersUnderTest> {
  const [database, users, tokens] = await Promise.all([createTestDatabase('orders'), startFakeUserService(), startFakeTokenIssuer()]);
  const logs = captureLogger('orders');
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    GRPC_PORT: '0',
    DATABASE_URL: database.url,
    USER_SERVICE_ADDR: users.address,
    JWKS_URL: tokens.jwksUrl,
    JWT_ISSUER: tokens.issuer,
    JWT_AUDIENCE: tokens.audience,
    ...env,
  });
  let service: RunningOrdersService | undefined;
  const sql = new pg.Pool({ connectionString: database.url, max: 2 });
  const stopAll = async () => {
    await service?.stop();
    service = undefined;
    await Promise.all([sql.end(), users.stop(), tokens.stop()]);
    await database.drop();
  };
  try {
    service = await startOrdersService(config, { logger: logs.logger });
  } catch (error) {
    await stopAll();
    throw error;
  }
  const running = () => {
    if (!service) throw new Error('the orders service is not running');
    return service;
  };
  let admin: Account | undefined;
  let errorLogsSeen = 0;

  const harness: OrdersUnderTest = {
    get httpUrl() {
      return running().httpUrl;
    },
    get grpcPort() {
      return running().grpcPort;
    },
    gql: (query, variables, options) => graphqlClient(`${running().httpUrl}/graphql`)(query, variables, options),
    database,
    sql,
    users,
    tokens,
    logs,
    takeErrorLogs() {
      const lines = logs.lines();
      const fresh = lines.slice(errorLogsSeen);
      errorLogsSeen = lines.length;
      return fresh.filter((line) => line.level === 'error' || line.level === 'fatal');
    },
    async account({ role = 'CUSTOMER', state = 'ACTIVE' } = {}) {
      const id = randomUUID();
      users.setAccount(id, state, role);
      return { id, role, token: await tokens.sign({ id, role }) };
    },
    async upsertProduct({ sku, priceCents = 1000, stock = 10, name = `Product ${sku}`, currency = 'USD' }) {
      admin ??= await harness.account({ role: 'ADMIN' });
      const saved = await harness.gql(
        `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku } }`,
        { input: { sku, name, priceCents, currency, stock } },
        { token: admin.token },
      );
      if (saved.errors.length > 0) throw new Error(`upsertProduct failed: ${JSON.stringify(saved.errors)}`);
    },
    async stockOf(sku) {
      const { rows } = await sql.query<{ stock: number }>('SELECT stock FROM products WHERE sku = $1', [sku]);
      if (!rows[0]) throw new Error(`no product ${sku}`);
      return rows[0].stock;
    },
    async snapshot() {
      const counts = await sql.query<{ orders: number; items: number }>(
        'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM order_items)::int AS items',
      );
      const stock = await sql.query<{ sku: string; stock: number }>('SELECT sku, stock FROM products ORDER BY sku');
      return {
        orders: counts.rows[0]!.orders,
        orderItems: counts.rows[0]!.items,
        stock: Object.fromEntries(stock.rows.map((row) => [row.sku, row.stock])),
      };
    },
    async restart() {
      await running().stop();
      service = undefined;
      service = await startOrdersService(config, { logger: logs.logger });
    },
    stop: stopAll,
  };
  return harness;
}

let skuCounter = 0;

/** A sku no other test of this process uses. */
export function uniqueSku(prefix = 'T'): string {
  skuCounter += 1;
  return `${prefix}-${process.pid}-${skuCounter}`;
}
