/**
 * Observability: GET /metrics on each service exposes the series the dashboard reads, and
 * they move with traffic: RED per GraphQL operation and per subgraph fetch, gRPC both ends,
 * the database pool, rate-limit refusals, the breaker, the event loop and the process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readMetric, startTestPlatform, type TestPlatform } from '../support/test-platform';

const DASHBOARD = path.resolve(__dirname, '../../deploy/observability/grafana/dashboards/fedshop-overview.json');

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
    }
  }
`;
const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
    }
  }
`;
const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      user {
        name
      }
    }
  }
`;
const GET_USER = { method: 'user.v1.UserService/GetUser', status: 'OK' };
const PLACE_ORDER_OK = { operation: 'PlaceOrder', type: 'mutation', result: 'success' };
const ORDERS_FETCH_OK = { subgraph: 'orders', result: 'success' };
const OPERATIONS = 'graphql_server_operation_duration_seconds';
const FETCHES = 'gateway_subgraph_request_duration_seconds';

/** Series every service serves, whatever it does. */
const EVERY_SERVICE = [
  'http_server_request_duration_seconds',
  'http_server_requests_in_flight',
  'graphql_server_operation_duration_seconds',
  'graphql_server_operation_errors_total',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
];
const SUBGRAPHS = [
  'db_client_statements_total',
  'db_client_connections',
  'db_client_connections_waiting',
  'db_client_connections_max',
  'grpc_client_call_duration_seconds',
  'grpc_server_call_duration_seconds',
  'grpc_client_breaker_state',
];
const GATEWAY = [
  'gateway_subgraph_request_duration_seconds',
  'gateway_subgraph_fetch_deduplicated_total',
  'gateway_rate_limited_requests_total',
  'gateway_rejected_operations_total',
  'gateway_rate_limit_store_failures_total',
];

let platform: TestPlatform;
beforeAll(async () => {
  // A small credential budget, so the test can see a rate-limit refusal counted.
  platform = await startTestPlatform({ gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '4' } });
});
afterAll(async () => {
  await platform?.stop();
});

async function seriesNames(baseUrl: string): Promise<Set<string>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
}

test('when /metrics is read on each service, then it names the series the dashboard reads', async () => {
  const [gateway, users, orders] = await Promise.all([platform.gatewayUrl, platform.usersUrl, platform.ordersUrl].map(seriesNames));
  const missing = [
    ...[...EVERY_SERVICE, ...GATEWAY].filter((name) => !gateway!.has(name)).map((name) => `gateway ${name}`),
    ...[...EVERY_SERVICE, ...SUBGRAPHS].filter((name) => !users!.has(name)).map((name) => `users ${name}`),
    ...[...EVERY_SERVICE, ...SUBGRAPHS].filter((name) => !orders!.has(name)).map((name) => `orders ${name}`),
  ];
  expect(missing).toEqual([]);
  // The breaker of each subgraph's one downstream, closed; the pool at its configured size.
  expect(await readMetric(platform.ordersUrl, 'grpc_client_breaker_state', { downstream: 'users' })).toBe(0);
  expect(await readMetric(platform.usersUrl, 'grpc_client_breaker_state', { downstream: 'orders' })).toBe(0);
  expect(await readMetric(platform.ordersUrl, 'db_client_connections_max')).toBe(10);
});

test('when the Grafana dashboard is read, then every series it queries is one a service serves', async () => {
  const served = new Set<string>();
  for (const url of [platform.gatewayUrl, platform.usersUrl, platform.ordersUrl])
    for (const name of await seriesNames(url)) served.add(name);
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  const queried = new Set(
    dashboard.panels
      .flatMap((panel) => panel.targets ?? [])
      // Metric names are the identifiers before a selector, a range or a closing parenthesis, once `by (...)` is gone.
      .flatMap((target) =>
        [...target.expr.replace(/\bby \([^)]*\)/g, '').matchAll(/([a-z_][a-z0-9_]*)(?=\s*[{[)])/g)].map((match) => match[1]!),
      ),
  );
  expect(queried.size).toBeGreaterThan(20);
  const unknown = [...queried].filter((name) => !served.has(name) && !served.has(name.replace(/_(bucket|count|sum)$/, '')));
  expect(unknown).toEqual([]);
});

test('when customers sign up, order, mistype a password and go over the credential budget, then the counters move', async () => {
  const { gql, gatewayUrl, usersUrl, ordersUrl } = platform;
  const count = (url: string, name: string, labels: Record<string, string>) => readMetric(url, `${name}_count`, labels);
  const token = (await gql(SIGN_UP, { input: { email: 'metered@example.com', password: 'a-long-password', name: 'Metered' } })).data!.signUp
    .token;
  const sku = (await gql(`{ products(first: 1) { edges { node { sku } } } }`)).data!.products.edges[0].node.sku;
  const before = {
    placeOrder: await count(gatewayUrl, OPERATIONS, PLACE_ORDER_OK),
    ordersFetch: await count(gatewayUrl, FETCHES, ORDERS_FETCH_OK),
    grpcClient: await count(ordersUrl, 'grpc_client_call_duration_seconds', GET_USER),
    grpcServer: await count(usersUrl, 'grpc_server_call_duration_seconds', GET_USER),
    statements: await readMetric(ordersUrl, 'db_client_statements_total', { origin: 'request' }),
    signInErrors: await readMetric(gatewayUrl, 'graphql_server_operation_errors_total', { operation: 'SignIn' }),
    limited: await readMetric(gatewayUrl, 'gateway_rate_limited_requests_total'),
  };

  const placed = await gql(PLACE_ORDER, { input: { items: [{ sku, quantity: 1 }], idempotencyKey: 'metered-1' } }, { token });
  expect(placed.errors).toEqual([]);
  const wrong = await gql(SIGN_IN, { input: { email: 'metered@example.com', password: 'mistyped-password' } });
  expect(wrong.errors.length).toBe(1);
  const code = wrong.errors[0]!.extensions!.code!;
  // The budget is 4 credential fields a minute per address: the sign-up, the mistake, two more; the fifth is refused.
  await gql(SIGN_IN, { input: { email: 'metered@example.com', password: 'a-long-password' } });
  await gql(SIGN_IN, { input: { email: 'metered@example.com', password: 'a-long-password' } });
  const refused = await gql(SIGN_IN, { input: { email: 'metered@example.com', password: 'a-long-password' } });
  expect(refused.errors[0]?.extensions?.code).toBe('RATE_LIMITED');

  expect(await count(gatewayUrl, OPERATIONS, PLACE_ORDER_OK)).toBe(before.placeOrder + 1);
  expect(await count(gatewayUrl, FETCHES, ORDERS_FETCH_OK)).toBe(before.ordersFetch + 1);
  expect(await count(ordersUrl, 'grpc_client_call_duration_seconds', GET_USER)).toBe(before.grpcClient + 1);
  expect(await count(usersUrl, 'grpc_server_call_duration_seconds', GET_USER)).toBe(before.grpcServer + 1);
  expect(await readMetric(ordersUrl, 'db_client_statements_total', { origin: 'request' })).toBeGreaterThan(before.statements);
  expect(await readMetric(gatewayUrl, 'graphql_server_operation_errors_total', { operation: 'SignIn', code })).toBe(
    before.signInErrors + 1,
  );
  expect(await count(gatewayUrl, OPERATIONS, { operation: 'SignIn', result: 'error' })).toBeGreaterThanOrEqual(1);
  expect(await readMetric(gatewayUrl, 'gateway_rate_limited_requests_total', { bucket: 'auth_address' })).toBe(before.limited + 1);
  // The subgraphs measure their own operations too (the gateway's generated names).
  expect(await count(ordersUrl, OPERATIONS, { operation: 'PlaceOrder__orders__0', result: 'success' })).toBe(1);
  // The pool has connections open after the traffic, and nobody waits for one.
  expect(await readMetric(ordersUrl, 'db_client_connections')).toBeGreaterThan(0);
  expect(await readMetric(ordersUrl, 'db_client_connections_waiting')).toBe(0);
});

test('when an operation name is made up per request, then the operation label stays bounded', async () => {
  // Names are kept as they come up to a bound; an attacker minting names cannot grow the series without end.
  for (let i = 0; i < 120; i++) await platform.gql(`query Probe${i} { __typename }`);
  const text = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
  const counts = text.split('\n').filter((line) => line.startsWith(`${OPERATIONS}_count{`));
  const operations = new Set(counts.map((line) => /operation="([^"]+)"/.exec(line)![1]));
  // At most 100 names, plus `anonymous` (the unnamed catalog query of the other test) and `other`.
  expect(operations.size).toBeLessThanOrEqual(102);
  expect(operations).toContain('other');
});
