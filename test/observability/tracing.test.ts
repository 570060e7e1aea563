/**
 * Observability: one placeOrder through the gateway is one trace across the three services,
 * every hop included (HTTP, the gRPC call, SQL). The services run in this process with the
 * instrumentations `register.ts` installs in a real one; spans go to memory. Which service a
 * span belongs to is told by the server it was served by: the HTTP server span of that
 * service's port, or the gRPC server span of its gRPC service.
 */
import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { installTestTelemetry, type ReadableSpan, type TestTelemetry } from '@fedshop/shared/testing/telemetry';
import type { TestPlatform } from '../support/test-platform';

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

let telemetry: TestTelemetry;
let platform: TestPlatform;
beforeAll(async () => {
  // Before the services' modules load: the gRPC clients are built as their modules load.
  telemetry = installTestTelemetry();
  const { startTestPlatform } = require('../support/test-platform') as typeof import('../support/test-platform');
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.stop();
  await telemetry?.shutdown();
});

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const portOf = (url: string) => Number(new URL(url).port);

/** The service that served each span: the nearest server span above it (itself included) says. */
function servicesOf(spans: ReadableSpan[]): Map<ReadableSpan, string | undefined> {
  const byId = new Map(spans.map((span) => [idOf(span), span]));
  const httpPorts = new Map([
    [portOf(platform.gatewayUrl), 'gateway'],
    [portOf(platform.ordersUrl), 'orders'],
    [portOf(platform.usersUrl), 'users'],
  ]);
  const grpcServices = new Map([
    ['user.v1.UserService', 'users'],
    ['order.v1.OrderService', 'orders'],
  ]);
  const serverOf = (span: ReadableSpan): string | undefined => {
    if (span.kind === SpanKind.SERVER) {
      return span.attributes['rpc.service'] !== undefined
        ? grpcServices.get(String(span.attributes['rpc.service']))
        : httpPorts.get(Number(span.attributes['server.port']));
    }
    const parent = byId.get(span.parentSpanContext?.spanId ?? '');
    return parent ? serverOf(parent) : undefined;
  };
  return new Map(spans.map((span) => [span, serverOf(span)]));
}

/** Waits until the gateway's server span of the request has ended (spans end as responses finish). */
async function spansOnceEnded(isLast: (span: ReadableSpan) => boolean): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 5_000;
  while (!telemetry.spans().some(isLast) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  return telemetry.spans();
}

test('when a customer places an order through the gateway, then one trace holds spans of all three services, the gRPC hop and SQL', async () => {
  const signUp = await platform.gql(`mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }`, {
    input: { email: 'tracing@example.com', password: 'a-long-password', name: 'Tracing' },
  });
  const token = signUp.data!.signUp.token;
  const sku = (await platform.gql(`{ products(first: 1) { edges { node { sku } } } }`)).data!.products.edges[0].node.sku;
  telemetry.reset();

  // The client's own span, as a traced frontend would send it.
  const clientTraceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const placed = await platform.gql(
    PLACE_ORDER,
    { input: { items: [{ sku, quantity: 2 }], idempotencyKey: 'tracing-1' } },
    { token, headers: { traceparent: `00-${clientTraceId}-${clientSpanId}-01` } },
  );
  expect(placed.errors).toEqual([]);

  const gatewayPort = portOf(platform.gatewayUrl);
  const isGatewayServerSpan = (span: ReadableSpan) => span.kind === SpanKind.SERVER && span.attributes['server.port'] === gatewayPort;
  const spans = await spansOnceEnded(isGatewayServerSpan);
  const root = spans.find(isGatewayServerSpan)!;
  expect(root.name).toBe('POST /graphql');
  const traceId = root.spanContext().traceId;
  expect(traceId).toBe(clientTraceId);
  const services = servicesOf(spans);

  // A single trace: every span a server started for the request (HTTP and gRPC, all services) is in it.
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  expect(new Set(servers.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));
  const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);
  const named = (name: string) => inTrace.filter((span) => span.name === name);
  // Every span was served by a service; the gateway's server span continues the client's.
  expect(new Set(inTrace.map((span) => services.get(span)))).toEqual(new Set(['gateway', 'orders', 'users']));
  expect(root.parentSpanContext?.spanId).toBe(clientSpanId);

  // The gateway: the operation span, named after the operation, holding Apollo Gateway's own spans.
  const [operation] = named('mutation PlaceOrder');
  expect(operation).toBeDefined();
  expect(services.get(operation!)).toBe('gateway');
  expect(operation!.attributes).toMatchObject({ 'graphql.operation.name': 'PlaceOrder', 'graphql.operation.type': 'mutation' });
  const [request] = named('gateway.request');
  expect(request!.parentSpanContext?.spanId).toBe(idOf(operation!));
  for (const phase of ['gateway.validate', 'gateway.plan', 'gateway.execute']) expect(named(phase)).toHaveLength(1);
  // One fetch per subgraph of the plan, each an HTTP client span into that subgraph's server.
  const fetches = named('gateway.fetch');
  expect(fetches.map((span) => span.attributes.service).sort()).toEqual(['orders', 'users']);
  for (const fetch of fetches) {
    const client = inTrace.find((span) => span.kind === SpanKind.CLIENT && span.parentSpanContext?.spanId === idOf(fetch))!;
    const server = inTrace.find((span) => span.kind === SpanKind.SERVER && span.parentSpanContext?.spanId === idOf(client))!;
    expect(services.get(server)).toBe(fetch.attributes.service);
  }
  expect(named('mutation PlaceOrder__orders__0').map((span) => services.get(span))).toEqual(['orders']);

  // The gRPC hop: orders' client span, users' server span under it, users' SQL under that.
  const [grpcClient] = inTrace.filter((span) => span.name === 'grpc.user.v1.UserService/GetUser' && span.kind === SpanKind.CLIENT);
  const [grpcServer] = inTrace.filter((span) => span.name === 'grpc.user.v1.UserService/GetUser' && span.kind === SpanKind.SERVER);
  expect(services.get(grpcClient!)).toBe('orders');
  expect(services.get(grpcServer!)).toBe('users');
  expect(grpcServer!.parentSpanContext?.spanId).toBe(idOf(grpcClient!));
  expect(grpcServer!.attributes).toMatchObject({
    'rpc.system': 'grpc',
    'rpc.service': 'user.v1.UserService',
    'rpc.method': 'GetUser',
    'rpc.grpc.status_code': 0,
  });

  // SQL: one span per statement, with its parameterized text, in the service that sent it.
  const statements = named('prisma:client:db_query').map((span) => ({
    service: services.get(span),
    sql: String(span.attributes['db.query.text']),
  }));
  expect(statements).toContainEqual({ service: 'users', sql: expect.stringMatching(/^SELECT .* FROM "public"\."users"/) });
  expect(statements).toContainEqual({ service: 'orders', sql: expect.stringMatching(/^SELECT .* FROM "public"\."products"/) });
  // The order, its stock, items and event: one statement.
  expect(statements).toContainEqual({
    service: 'orders',
    sql: expect.stringMatching(/INSERT INTO orders[\s\S]*UPDATE products[\s\S]*INSERT INTO outbox_events/),
  });
  const underGrpcServer = named('prisma:client:db_query').filter((span) => {
    for (let at: ReadableSpan | undefined = span; at; at = inTrace.find((s) => idOf(s) === at.parentSpanContext?.spanId)) {
      if (at === grpcServer) return true;
    }
    return false;
  });
  expect(underGrpcServer.length).toBeGreaterThan(0);
});

test('when an order is placed, then the loyalty consumer handles its event inside the same trace, its SQL included', async () => {
  const signUp = await platform.gql(`mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }`, {
    input: { email: 'tracing-events@example.com', password: 'a-long-password', name: 'Tracing Events' },
  });
  const token = signUp.data!.signUp.token;
  const sku = (await platform.gql(`{ products(first: 1) { edges { node { sku } } } }`)).data!.products.edges[0].node.sku;
  telemetry.reset();

  const placed = await platform.gql(
    PLACE_ORDER,
    { input: { items: [{ sku, quantity: 1 }], idempotencyKey: 'tracing-events-1' } },
    { token },
  );
  expect(placed.errors).toEqual([]);

  const gatewayPort = portOf(platform.gatewayUrl);
  const isGatewayServerSpan = (span: ReadableSpan) => span.kind === SpanKind.SERVER && span.attributes['server.port'] === gatewayPort;
  const traceId = (await spansOnceEnded(isGatewayServerSpan)).find(isGatewayServerSpan)!.spanContext().traceId;
  // The relay publishes after the transaction commits; the consumer's span ends after its own
  // commit. (An earlier test's event may be consumed meanwhile, in its own trace.)
  const isConsumerOfThisTrace = (span: ReadableSpan) => span.name === 'orders.v1.placed process' && span.spanContext().traceId === traceId;
  const spans = await spansOnceEnded(isConsumerOfThisTrace);
  const consumed = spans.filter(isConsumerOfThisTrace);
  expect(consumed).toHaveLength(1);
  const [consumer] = consumed;
  expect(consumer!.kind).toBe(SpanKind.CONSUMER);
  expect(consumer!.spanContext().traceId).toBe(traceId);
  expect(consumer!.attributes).toMatchObject({ 'messaging.destination.name': 'orders.v1.placed', 'messaging.operation.type': 'process' });
  // Its parent is a span of the request that wrote the event, in the orders service.
  const parent = spans.find((span) => idOf(span) === consumer!.parentSpanContext?.spanId)!;
  expect(servicesOf(spans).get(parent)).toBe('orders');
  // The loyalty update's statements hang under the consumer span.
  const underConsumer = spans.filter(
    (span) => span.name === 'prisma:client:db_query' && span.spanContext().traceId === traceId && isUnder(spans, span, consumer!),
  );
  expect(underConsumer.map((span) => String(span.attributes['db.query.text']))).toContainEqual(
    expect.stringMatching(/processed_events|users/),
  );
});

function isUnder(spans: ReadableSpan[], span: ReadableSpan, ancestor: ReadableSpan): boolean {
  for (let at: ReadableSpan | undefined = span; at; at = spans.find((s) => idOf(s) === at.parentSpanContext?.spanId)) {
    if (at === ancestor) return true;
  }
  return false;
}

test('when a request fails on a bad password, then its operation span carries an error status and no credential', async () => {
  telemetry.reset();
  const password = 'not-the-password';
  const failed = await platform.gql(`mutation SignIn($input: SignInInput!) { signIn(input: $input) { token } }`, {
    input: { email: 'tracing@example.com', password },
  });
  expect(failed.errors.length).toBeGreaterThan(0);

  const spans = await spansOnceEnded((span) => span.name === 'mutation SignIn');
  const [operation] = spans.filter((span) => span.name === 'mutation SignIn');
  expect(operation!.status).toMatchObject({ code: 2, message: failed.errors[0]!.extensions!.code });
  const everything = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events })));
  expect(everything).not.toContain(password);
  expect(everything).not.toContain('tracing@example.com');
});
