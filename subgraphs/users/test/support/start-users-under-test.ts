import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { captureLogger, createTestDatabase, freePort, type CapturedLogger, type TestDatabase } from '@fedshop/shared/testing';
import { graphqlClient, type GraphQLSend, type GraphQLTestResponse } from '../../../../test/support/graphql-client';
import { loadConfig, startUsersService, type RunningUsersService } from '../../src';
import type { Clock } from '../../src/use-cases/sign-in-throttle';
import { startFakeOrderService, type FakeOrderService } from './fake-order-service';

export const TEST_ADMIN = { email: 'admin@users.test', password: 'admin-test-password' } as const;

export interface UsersUnderTest {
  service: RunningUsersService;
  /** Base URL of the users service (GraphQL at /graphql). */
  url: string;
  /** GraphQL straight to the subgraph; every response is also kept in `responses`. */
  gql: GraphQLSend;
  /** Every GraphQL response received so far, serialized (to prove what never leaves the service). */
  responses: string[];
  /** SQL on the service's database, for checks the API cannot make ("nothing written"). */
  sql: pg.Pool;
  database: TestDatabase;
  orders: FakeOrderService;
  logs: CapturedLogger;
  /** The environment the service was started with (DATA_DIR included, to restart on the same key). */
  env: Record<string, string>;
  /** Stops the service, its fake peer and the SQL pool; drops the database and removes DATA_DIR unless they were given. Idempotent. */
  stop(): Promise<void>;
}

export interface StartUsersOptions {
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** Reuse a database (restarts); a fresh one is created otherwise and dropped by `stop()`. */
  database?: TestDatabase;
  /** Reuse a DATA_DIR (the development signing key lives there); a temp one is created otherwise and removed by `stop()`. */
  dataDir?: string;
  /** Time for sign-in throttling (default: the system clock). */
  clock?: Clock;
}

/**
 * The real users service (the same `startUsersService` as `npm start`) on port 0, on a fresh
 * database of the test PostgreSQL, its orders peer a fake gRPC server the test controls.
 */
export async function startUsersUnderTest(options: StartUsersOptions = {}): Promise<UsersUnderTest> {
  const [database, grpcPort, orders] = await Promise.all([
    options.database ?? createTestDatabase('users_service'),
    freePort(),
    startFakeOrderService(),
  ]);
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'fedshop-users-test-'));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    GRPC_PORT: String(grpcPort),
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    ORDER_SERVICE_ADDR: orders.address,
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    SCRYPT_COST: '1024',
    ...options.env,
  };
  const logs = captureLogger('users');
  let service: RunningUsersService;
  try {
    service = await startUsersService(loadConfig(env), { logger: logs.logger, clock: options.clock });
  } catch (error) {
    await orders.stop();
    if (!options.database) await database.drop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const sql = new pg.Pool({ connectionString: database.url, max: 2 });
  const responses: string[] = [];
  const send = graphqlClient(`${service.httpUrl}/graphql`);
  const gql: GraphQLSend = async <T>(...args: Parameters<GraphQLSend>) => {
    const response: GraphQLTestResponse<T> = await send<T>(...args);
    responses.push(JSON.stringify({ data: response.data, errors: response.errors }));
    return response;
  };
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await service.stop();
    await Promise.all([orders.stop(), sql.end()]);
    if (!options.database) await database.drop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    service,
    url: service.httpUrl,
    gql,
    responses,
    sql,
    database,
    orders,
    logs,
    env,
    stop: () => (stopped ??= stop()),
  };
}

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        name
        email
        role
        status
        createdAt
      }
    }
  }
`;

export const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
      user {
        id
        name
        email
        role
        status
      }
    }
  }
`;

export interface SignedIn {
  token: string;
  user: { id: string; name: string; email: string; role: string; status: string };
}

let accountCounter = 0;

/** Signs up a fresh customer (unique email) and returns its token and user. */
export async function signUpCustomer(
  users: UsersUnderTest,
  input: { email?: string; password?: string; name?: string } = {},
): Promise<SignedIn & { password: string }> {
  accountCounter += 1;
  const password = input.password ?? `password-${accountCounter}`;
  const response = await users.gql<{ signUp: SignedIn }>(SIGN_UP, {
    input: { email: input.email ?? `customer-${accountCounter}@example.com`, password, name: input.name ?? `Customer ${accountCounter}` },
  });
  if (!response.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(response.errors)}`);
  return { ...response.data.signUp, password };
}

/** Signs in as the configured admin. */
export async function signInAdmin(users: UsersUnderTest): Promise<SignedIn> {
  const response = await users.gql<{ signIn: SignedIn }>(SIGN_IN, { input: TEST_ADMIN });
  if (!response.data?.signIn) throw new Error(`admin signIn failed: ${JSON.stringify(response.errors)}`);
  return response.data.signIn;
}

/** How many accounts the database holds (optionally with this email). */
export async function countUsers(users: UsersUnderTest, email?: string): Promise<number> {
  const result = email
    ? await users.sql.query<{ count: string }>('SELECT count(*) FROM users WHERE email = $1', [email])
    : await users.sql.query<{ count: string }>('SELECT count(*) FROM users');
  return Number(result.rows[0]!.count);
}
