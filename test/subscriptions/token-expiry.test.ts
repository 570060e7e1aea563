import { randomUUID } from 'node:crypto';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';
import { subscribeSse, subscribeWs, untilSubgraphSubscriptions, untilSubscribed, wsClient } from '../support/subscription-clients';

const ORDER_STATUS = 'subscription OrderStatus { orderStatusChanged { id status } }';

describe('a subscription outliving its access token', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    // Tokens live 1 s (plus the verifier's 5 s of clock tolerance).
    platform = await startTestPlatform({ usersEnv: { JWT_TTL_SECONDS: '1' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when the token expires, then each subscription ends with UNAUTHENTICATED, and the WebSocket is then closed with 4401', async () => {
    const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email: `${randomUUID()}@example.com`, password: 'short-lived password', name: 'Ephemeral' },
    });
    const token = signUp.data!.signUp.token;
    let closeCode: number | undefined;
    const client = wsClient(platform.gatewayUrl, token, { onClosed: (event) => (closeCode = event.code), keepOpenMs: 2_000 });
    const overWs = subscribeWs(client, ORDER_STATUS);
    const overSse = subscribeSse(platform.gatewayUrl, token, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);

    for (const subscription of [overWs, overSse]) {
      const last = await subscription.results.next();
      expect(last.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(last.errors?.[0]?.message).toMatch(/expired/);
      expect(await subscription.results.ended).toEqual({ complete: true });
    }
    await untilSubgraphSubscriptions(platform.ordersUrl, 0);
    while (closeCode === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closeCode).toBe(4401);
    await client.dispose();
  });
});
