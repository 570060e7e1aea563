import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetric } from '@fedshop/shared/testing';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';
import { subscribeWs, untilSubscribed, wsClient } from '../support/subscription-clients';

const COMMITTED_SUPERGRAPH = path.resolve(__dirname, '../../supergraph.graphql');
const STILL_VALID = 'subscription StillValid { orderStatusChanged { id status user { name } } }';

describe('subscriptions across a supergraph reload', () => {
  let platform: TestPlatform;
  let dir: string;
  let supergraphPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-reload-'));
    supergraphPath = path.join(dir, 'supergraph.graphql');
    copyFileSync(COMMITTED_SUPERGRAPH, supergraphPath);
    platform = await startTestPlatform({ gatewayEnv: { SUPERGRAPH_PATH: supergraphPath, SUPERGRAPH_POLL_MS: '50' } });
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('when a new supergraph drops a field one subscription selects, then that one ends with SUBSCRIPTION_SCHEMA_RELOAD and the others go on, events and all, identical ones still sharing, joined by new ones', async () => {
    const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email: `${randomUUID()}@example.com`, password: 'reload password', name: 'Reloaded' },
    });
    const token = signUp.data!.signUp.token;
    const client = wsClient(platform.gatewayUrl, token);
    const stillValid = subscribeWs(client, STILL_VALID);
    // Identical to the first: they share one subscription on orders.
    const stillValidToo = subscribeWs(client, STILL_VALID);
    const usesDroppedField = subscribeWs(client, 'subscription UsesCreatedAt { orderStatusChanged { id createdAt } }');
    await untilSubscribed(platform.gatewayUrl, 3, platform.ordersUrl, 2);

    const withoutCreatedAt = readFileSync(COMMITTED_SUPERGRAPH, 'utf8').replace(
      '  """When the order was placed."""\n  createdAt: DateTime!\n',
      '',
    );
    expect(withoutCreatedAt).not.toBe(readFileSync(COMMITTED_SUPERGRAPH, 'utf8'));
    writeFileSync(supergraphPath, withoutCreatedAt);

    const ended = await usesDroppedField.results.next();
    expect(ended.errors?.map((error) => error.extensions?.code)).toEqual(['SUBSCRIPTION_SCHEMA_RELOAD']);
    expect(await usesDroppedField.results.ended).toEqual({ complete: true });
    expect(await readMetric(platform.gatewayUrl, 'gateway_supergraph_reloads_total', { result: 'applied' })).toBe(1);
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);
    // Planned on the new version, an identical subscription joins the one that went on under it.
    const joinedAfter = subscribeWs(client, STILL_VALID);
    await untilSubscribed(platform.gatewayUrl, 3, platform.ordersUrl, 1);

    const placed = await platform.gql<{ placeOrder: { id: string } }>(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ sku: 'KB-001', quantity: 1 }], idempotencyKey: randomUUID() } },
      { token },
    );
    for (const subscription of [stillValid, stillValidToo, joinedAfter]) {
      expect((await subscription.results.next()).data).toEqual({
        orderStatusChanged: { id: placed.data!.placeOrder.id, status: 'CONFIRMED', user: { name: 'Reloaded' } },
      });
    }
    expect(
      platform.logs.gateway
        .lines()
        .some((line) => line.msg === 'supergraph changed: subscriptions re-planned' && line.kept === 2 && line.ended === 1),
    ).toBe(true);
    for (const subscription of [stillValid, stillValidToo, joinedAfter]) subscription.stop();
    await untilSubscribed(platform.gatewayUrl, 0, platform.ordersUrl, 0);
    await client.dispose();
  });
});
