/**
 * Observability: a client's W3C `traceparent` is continued by every hop — gateway → orders
 * (HTTP) → users (gRPC metadata) — and the log lines each service writes while serving the
 * request carry its trace id. The services run as processes started the way production starts
 * them (telemetry preload included), with no collector: ids propagate even when nothing is exported.
 */
import { randomBytes } from 'node:crypto';
import { startProcessPlatform, type ProcessPlatform, type ServiceProcess } from '../support/process-platform';

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

let platform: ProcessPlatform;
beforeAll(async () => {
  platform = await startProcessPlatform();
}, 90_000);
afterAll(async () => {
  await platform?.stop();
});

/** Resolves with the lines `matching` once the process has written at least one (its output arrives through a pipe). */
/**
 * The service's log lines that match, once one of them has message `msg` (lines are written in
 * batches flushed every 250 ms, so the one awaited may come a batch after the first match).
 */
async function linesOf(service: ServiceProcess, matching: (line: Record<string, unknown>) => boolean, msg: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = service.logLines().filter(matching);
    if (found.some((line) => line.msg === msg) || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('when a client sends a traceparent with placeOrder, then the gateway, orders and users log lines carry its trace id', async () => {
  const { gql } = platform;
  const signUp = await gql(`mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`, {
    input: { email: 'traced@example.com', password: 'a-long-password', name: 'Traced' },
  });
  const { token, user } = signUp.data!.signUp;
  const sku = (await gql(`{ products(first: 1) { edges { node { sku } } } }`)).data!.products.edges[0].node.sku;
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;

  const placed = await gql(
    PLACE_ORDER,
    { input: { items: [{ sku, quantity: 1 }], idempotencyKey: 'traced-1' } },
    { token, headers: { traceparent } },
  );
  expect(placed.errors).toEqual([]);

  const ofTrace = (line: Record<string, unknown>) => line.traceId === traceId;
  const [gateway, orders, users] = await Promise.all([
    linesOf(platform.gateway, ofTrace, 'request'),
    linesOf(platform.orders, ofTrace, 'request'),
    linesOf(platform.users, ofTrace, 'grpc request'),
  ]);
  // The gateway's one line per request: operation, user, duration, and the ids.
  expect(gateway).toContainEqual(
    expect.objectContaining({
      service: 'gateway',
      msg: 'request',
      operation: 'PlaceOrder',
      userId: user.id,
      status: 200,
      durationMs: expect.any(Number),
      requestId: expect.any(String),
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
    }),
  );
  expect(orders).toContainEqual(
    expect.objectContaining({ service: 'orders', msg: 'request', operation: 'PlaceOrder__orders__0', userId: user.id }),
  );
  // Reached only through the gRPC call orders makes: the metadata carried the trace.
  expect(users).toContainEqual(
    expect.objectContaining({ service: 'users', msg: 'grpc request', grpcMethod: 'user.v1.UserService/GetUser', status: 'OK' }),
  );
  // The request id travels the same way (a JWKS fetch along the way is a request of its own, in the same trace).
  const requestId = gateway.find((line) => line.msg === 'request')!.requestId;
  expect(orders.find((line) => line.msg === 'request')!.requestId).toBe(requestId);
  expect(users.find((line) => line.msg === 'grpc request')!.requestId).toBe(requestId);
});
