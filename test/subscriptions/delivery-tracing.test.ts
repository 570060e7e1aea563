/**
 * Each subscription delivery runs in a span of its own, linked to the trace of the write that
 * caused it (the outbox keeps the request's traceparent): in the orders subgraph and at the
 * gateway, where the entity fetch to users runs under it.
 */
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { installTestTelemetry, type ReadableSpan, type TestTelemetry } from '@fedshop/shared/testing/telemetry';
import type { TestPlatform } from '../support/test-platform';
import { subscribeWs, untilSubgraphSubscriptions, wsClient } from '../support/subscription-clients';

let telemetry: TestTelemetry;
let platform: TestPlatform;
beforeAll(async () => {
  // Before the services' modules load, as in test/observability/tracing.test.ts.
  telemetry = installTestTelemetry();
  const { startTestPlatform } = require('../support/test-platform') as typeof import('../support/test-platform');
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.stop();
  await telemetry?.shutdown();
});

async function spanNamed(name: string, linkedTo: string): Promise<ReadableSpan> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = telemetry.spans().find((span) => span.name === name && span.links.some((link) => link.context.traceId === linkedTo));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no span "${name}" linked to ${linkedTo}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('when an order is placed, then its delivery to a subscriber is traced in the subgraph and the gateway, each span linked to the placing request’s trace', async () => {
  const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
    input: { email: `${randomUUID()}@example.com`, password: 'traced password', name: 'Traced' },
  });
  const token = signUp.data!.signUp.token;
  const client = wsClient(platform.gatewayUrl, token);
  const subscription = subscribeWs(client, 'subscription Traced { orderStatusChanged { id status user { name } } }');
  await untilSubgraphSubscriptions(platform.ordersUrl, 1);
  telemetry.reset();

  const placed = await platform.gql(
    'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    {
      input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: randomUUID() },
    },
    { token },
  );
  expect(placed.errors).toEqual([]);
  expect((await subscription.results.next()).data?.orderStatusChanged).toMatchObject({ status: 'CONFIRMED', user: { name: 'Traced' } });

  const gatewayPort = Number(new URL(platform.gatewayUrl).port);
  const write = telemetry
    .spans()
    .find((span) => span.kind === SpanKind.SERVER && span.attributes['server.port'] === gatewayPort && span.name === 'POST /graphql')!;
  const writeTrace = write.spanContext().traceId;
  const inSubgraph = await spanNamed('subscription event', writeTrace);
  const atGateway = await spanNamed('gateway subscription event', writeTrace);
  // New traces of their own, not children of the write.
  expect(inSubgraph.spanContext().traceId).not.toBe(writeTrace);
  expect(atGateway.spanContext().traceId).not.toBe(writeTrace);
  // The gateway's entity fetch to users for this event runs under its delivery span.
  const underDelivery = telemetry.spans().filter((span) => span.spanContext().traceId === atGateway.spanContext().traceId);
  expect(underDelivery.filter((span) => span.name === 'gateway.fetch').map((span) => span.attributes.service)).toContain('users');
  subscription.stop();
  await client.dispose();
});
