import { captureLogger, readMetric } from '@fedshop/shared/testing';
import { loadConfig as loadGatewayConfig, startGateway, type RunningGateway } from '../../gateway/src';
import { gatewayEnvFor, startTestPlatform, type TestPlatform } from '../support/test-platform';
import {
  subscribeSse,
  subscribeWs,
  untilOutboxPublished,
  untilSubscribed,
  wsClient,
  type OpenSubscription,
} from '../support/subscription-clients';
import { placeKeyboardOrder, signUpCustomer } from './support/shop';

const ORDER_STATUS = /* GraphQL */ `
  subscription OrderStatus($orderId: ID) {
    orderStatusChanged(orderId: $orderId) {
      id
      status
      user {
        name
      }
    }
  }
`;

async function cancelOrder(platform: TestPlatform, token: string, id: string): Promise<void> {
  const response = await platform.gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id }, { token });
  expect(response.errors).toEqual([]);
}

/** Entity fetches the gateway made to users for query plans (each plan execution of an event fetches `user { name }` once). */
const usersFetches = (gatewayUrl: string) =>
  readMetric(gatewayUrl, 'gateway_subgraph_request_duration_seconds_count', { subgraph: 'users' });

const status = (name: string, id: string, value: string) => ({ data: { orderStatusChanged: { id, status: value, user: { name } } } });

describe('identical subscriptions of one caller share one upstream subscription (SUBSCRIPTION_DEDUPLICATION, on by default)', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('when two clients of one account hold the same subscription (WebSocket and SSE, spaced differently), then orders holds one subscription, the rest of the plan runs once per event, and both receive every event', async () => {
    const token = (await signUpCustomer(platform, 'Ada')).token;
    const client = wsClient(platform.gatewayUrl, token);
    const overWs = subscribeWs(client, ORDER_STATUS);
    const overSse = subscribeSse(platform.gatewayUrl, token, `# the same operation\n${ORDER_STATUS.replace(/\s+/g, ' ')}`);
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);
    expect(await readMetric(platform.gatewayUrl, 'gateway_subscription_upstream_subscriptions', { subgraph: 'orders' })).toBe(1);
    const fetchesBefore = await usersFetches(platform.gatewayUrl);

    const orderId = await placeKeyboardOrder(platform, token);
    await cancelOrder(platform, token, orderId);

    for (const subscription of [overWs, overSse]) {
      expect(await subscription.results.next()).toEqual(status('Ada', orderId, 'CONFIRMED'));
      expect(await subscription.results.next()).toEqual(status('Ada', orderId, 'CANCELLED'));
    }
    // `user { name }` came from users once per event, not once per client.
    expect((await usersFetches(platform.gatewayUrl)) - fetchesBefore).toBe(2);
    overWs.stop();
    overSse.stop();
    await untilSubscribed(platform.gatewayUrl, 0, platform.ordersUrl, 0);
    expect(await readMetric(platform.gatewayUrl, 'gateway_subscription_upstream_subscriptions')).toBe(0);
    await client.dispose();
  });

  test('when two accounts, or one account with other variables, hold the same document, then each has its own upstream subscription and sees only its own events', async () => {
    const ada = (await signUpCustomer(platform, 'Ada')).token;
    const bob = (await signUpCustomer(platform, 'Bob')).token;
    const watched = await placeKeyboardOrder(platform, ada);
    await untilOutboxPublished(platform.ordersDatabase.url);
    const adaClient = wsClient(platform.gatewayUrl, ada);
    const bobClient = wsClient(platform.gatewayUrl, bob);
    const adaAll = subscribeWs(adaClient, ORDER_STATUS);
    const adaOne = subscribeWs(adaClient, ORDER_STATUS, { orderId: watched });
    const bobAll = subscribeWs(bobClient, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 3, platform.ordersUrl, 3);

    await cancelOrder(platform, ada, watched);
    const other = await placeKeyboardOrder(platform, ada);
    const bobs = await placeKeyboardOrder(platform, bob);

    expect(await adaAll.results.next()).toEqual(status('Ada', watched, 'CANCELLED'));
    expect(await adaAll.results.next()).toEqual(status('Ada', other, 'CONFIRMED'));
    expect(await adaOne.results.next()).toEqual(status('Ada', watched, 'CANCELLED'));
    expect(await bobAll.results.next()).toEqual(status('Bob', bobs, 'CONFIRMED'));
    // Each delivered event was its own: nothing of Ada's reached Bob, nor `other` the subscriber of one order.
    expect(adaOne.results.all()).toHaveLength(1);
    expect(bobAll.results.all()).toHaveLength(1);
    for (const subscription of [adaAll, adaOne, bobAll]) subscription.stop();
    await untilSubscribed(platform.gatewayUrl, 0, platform.ordersUrl, 0);
    await Promise.all([adaClient.dispose(), bobClient.dispose()]);
  });

  test('when an anonymous client sends the document an account is subscribed with, then it is refused UNAUTHENTICATED by orders alone and the account’s subscription goes on', async () => {
    const token = (await signUpCustomer(platform, 'Ada')).token;
    const signedIn = wsClient(platform.gatewayUrl, token);
    const anonymousClient = wsClient(platform.gatewayUrl, null);
    const account = subscribeWs(signedIn, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 1, platform.ordersUrl, 1);

    const anonymous = subscribeWs(anonymousClient, ORDER_STATUS);
    const refused = await anonymous.results.next();
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(await anonymous.results.ended).toEqual({ complete: true });

    const orderId = await placeKeyboardOrder(platform, token);
    expect(await account.results.next()).toEqual(status('Ada', orderId, 'CONFIRMED'));
    account.stop();
    await untilSubscribed(platform.gatewayUrl, 0, platform.ordersUrl, 0);
    await Promise.all([signedIn.dispose(), anonymousClient.dispose()]);
  });

  test('when one of two sharing clients stops, then the other keeps receiving and the upstream subscription lasts until the last one leaves', async () => {
    const token = (await signUpCustomer(platform, 'Ada')).token;
    const firstClient = wsClient(platform.gatewayUrl, token);
    const secondClient = wsClient(platform.gatewayUrl, token);
    const first = subscribeWs(firstClient, ORDER_STATUS);
    const second = subscribeWs(secondClient, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);
    const before = await placeKeyboardOrder(platform, token);
    expect(await first.results.next()).toEqual(status('Ada', before, 'CONFIRMED'));
    expect(await second.results.next()).toEqual(status('Ada', before, 'CONFIRMED'));

    first.stop();
    await untilSubscribed(platform.gatewayUrl, 1, platform.ordersUrl, 1);
    const after = await placeKeyboardOrder(platform, token);
    await cancelOrder(platform, token, after);

    expect(await second.results.next()).toEqual(status('Ada', after, 'CONFIRMED'));
    expect(await second.results.next()).toEqual(status('Ada', after, 'CANCELLED'));
    expect(first.results.all()).toHaveLength(1);
    second.stop();
    await untilSubscribed(platform.gatewayUrl, 0, platform.ordersUrl, 0);
    await Promise.all([firstClient.dispose(), secondClient.dispose()]);
  });

  test('when a client joins a running shared subscription, then it receives the events after it joined, and each client’s deliveries are counted and logged as its own', async () => {
    const token = (await signUpCustomer(platform, 'Ada')).token;
    const client = wsClient(platform.gatewayUrl, token);
    const early = subscribeWs(client, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 1, platform.ordersUrl, 1);
    const first = await placeKeyboardOrder(platform, token);
    expect(await early.results.next()).toEqual(status('Ada', first, 'CONFIRMED'));
    const delivered = () =>
      readMetric(platform.gatewayUrl, 'gateway_subscription_events_total', { operation: 'OrderStatus', result: 'delivered' });
    const deliveredBefore = await delivered();

    const late = subscribeWs(client, ORDER_STATUS);
    await untilSubscribed(platform.gatewayUrl, 2, platform.ordersUrl, 1);
    const second = await placeKeyboardOrder(platform, token);

    expect(await early.results.next()).toEqual(status('Ada', second, 'CONFIRMED'));
    expect(await late.results.next()).toEqual(status('Ada', second, 'CONFIRMED'));
    expect(late.results.all()).toHaveLength(1);
    expect((await delivered()) - deliveredBefore).toBe(2);
    const linesBefore = platform.logs.gateway.lines().filter((line) => line.msg === 'subscription').length;
    early.stop();
    late.stop();
    await untilSubscribed(platform.gatewayUrl, 0, platform.ordersUrl, 0);
    const ended = platform.logs.gateway
      .lines()
      .filter((line) => line.msg === 'subscription')
      .slice(linesBefore);
    expect(ended.map((line) => [line.events, line.reason]).sort()).toEqual([
      [1, 'client'],
      [2, 'client'],
    ]);
    await client.dispose();
  });
});

describe('with SUBSCRIPTION_DEDUPLICATION=false', () => {
  let platform: TestPlatform;
  let gateway: RunningGateway;
  beforeAll(async () => {
    platform = await startTestPlatform();
    gateway = await startGateway(
      loadGatewayConfig(
        gatewayEnvFor(platform, {
          SUBSCRIPTION_DEDUPLICATION: 'false',
        }),
      ),
      { logger: captureLogger('gateway-no-subscription-deduplication').logger },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await platform?.stop();
  });

  test('when two clients of one account hold the same subscription, then each has its own upstream subscription and its own execution per event', async () => {
    const token = (await signUpCustomer(platform, 'Ada')).token;
    const client = wsClient(gateway.url, token);
    const subscriptions: OpenSubscription[] = [subscribeWs(client, ORDER_STATUS), subscribeWs(client, ORDER_STATUS)];
    await untilSubscribed(gateway.url, 2, platform.ordersUrl, 2);
    expect(await readMetric(gateway.url, 'gateway_subscription_upstream_subscriptions', { subgraph: 'orders' })).toBe(2);
    const fetchesBefore = await usersFetches(gateway.url);

    const orderId = await placeKeyboardOrder(platform, token);

    for (const subscription of subscriptions) expect(await subscription.results.next()).toEqual(status('Ada', orderId, 'CONFIRMED'));
    expect((await usersFetches(gateway.url)) - fetchesBefore).toBe(2);
    for (const subscription of subscriptions) subscription.stop();
    await untilSubscribed(gateway.url, 0, platform.ordersUrl, 0);
    await client.dispose();
  });
});
