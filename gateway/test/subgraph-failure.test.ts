import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorCodes } from '../../test/support/graphql-client';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../../test/support/test-platform';

// Both root fields are nullable, so a failing part nulls only itself.
const MIXED = '{ me { name } product(sku: "KB-001") { name } }';

async function signInAdmin(platform: TestPlatform): Promise<string> {
  return (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!.signIn
    .token;
}

describe('a failing or slow subgraph', () => {
  test("when orders is down, then the users part of a query still answers and orders' part is a retryable error", async () => {
    const platform = await startTestPlatform();
    try {
      const token = await signInAdmin(platform);
      await platform.orders.stop();
      platform.orders.stop = async () => undefined;
      const response = await platform.gql(MIXED, {}, { token });
      expect(response.status).toBe(200);
      expect(response.data!.me).toEqual({ name: 'Administrator' });
      expect(response.data!.product).toBeNull();
      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.errors[0]!.extensions!.retryable).toBe(true);
    } finally {
      await platform.stop();
    }
  });

  test('when orders hangs, then the gateway answers within SUBGRAPH_TIMEOUT_MS with the rest of the data', async () => {
    // A subgraph that accepts requests and never answers.
    const hung: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const platform = await startTestPlatform({
      gatewayEnv: { ORDERS_URL: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/graphql`, SUBGRAPH_TIMEOUT_MS: '500' },
    });
    try {
      const token = await signInAdmin(platform);
      const started = Date.now();
      const response = await platform.gql(MIXED, {}, { token });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(response.data!.me).toEqual({ name: 'Administrator' });
      expect(response.data!.product).toBeNull();
      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      const ready = await fetch(`${platform.gatewayUrl}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      await platform.stop();
      hung.closeAllConnections();
      hung.close();
    }
  });
});
