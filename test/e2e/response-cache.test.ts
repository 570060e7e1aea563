import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { freePort, readMetric } from '@fedshop/shared/testing';
import { graphqlClient, type GraphQLSend } from '../support/graphql-client';
import { ServiceProcess, startProcessPlatform, type ProcessPlatform } from '../support/process-platform';
import { TEST_ADMIN } from '../support/test-platform';

const REDIS_URL = process.env.REDIS_URL;
const NATS_URL = process.env.NATS_URL;
const describeWithBrokers = REDIS_URL && NATS_URL ? describe : describe.skip;
if (!REDIS_URL || !NATS_URL) console.warn('REDIS_URL or NATS_URL not set: skipping the response cache tests (CI sets both)');

const CATALOG = /* GraphQL */ `
  query Catalog($first: Int!) {
    products(first: $first) {
      totalCount
      edges {
        node {
          sku
          name
          priceCents
          currency
        }
      }
    }
  }
`;
const STOCK = /* GraphQL */ `
  query Stock($first: Int!) {
    products(first: $first) {
      edges {
        node {
          sku
          stock
        }
      }
    }
  }
`;
const ME = /* GraphQL */ `
  query Me {
    me {
      id
      name
      email
    }
  }
`;
const UPSERT = /* GraphQL */ `
  mutation Upsert($input: ProductInput!) {
    upsertProduct(input: $input) {
      sku
      name
      priceCents
    }
  }
`;
const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
      }
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
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
    }
  }
`;

type Product = { sku: string; name: string; priceCents: number; currency: string };
const productsOf = (data: Record<string, any> | null | undefined): Product[] =>
  (data!.products.edges as { node: Product }[]).map((edge) => edge.node);

/** Polls until `probe` holds (events travel asynchronously); fails after a generous deadline, never asserts a duration. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The response cache with every real part (README, Response cache): the compiled services as
 * their own processes, orders publishing through its outbox to NATS JetStream, and three
 * gateway processes: A and B share Redis and do not follow the events (so what they answer
 * after a write proves the writing replica's own purge), C keeps its cache in memory and
 * learns of changes only from the events.
 */
describeWithBrokers('the response cache, through real gateway processes with Redis and NATS', () => {
  const prefix = `fedshop-test:rc:${randomUUID().slice(0, 8)}`;
  let platform: ProcessPlatform;
  let second: ServiceProcess;
  let memory: ServiceProcess;
  let redisDown: ServiceProcess;
  let gql: { a: GraphQLSend; b: GraphQLSend; c: GraphQLSend; down: GraphQLSend };
  let redis: Redis;
  let adminToken: string;

  beforeAll(async () => {
    const cache = {
      RESPONSE_CACHE: 'true',
      RESPONSE_CACHE_KEY_PREFIX: prefix,
      // Rate-limit buckets of their own in the shared Redis, out of the test's way.
      RATE_LIMIT_KEY_PREFIX: `${prefix}:rl`,
      RATE_LIMIT_ANON_PER_MIN: '100000',
      RATE_LIMIT_USER_PER_MIN: '100000',
    };
    platform = await startProcessPlatform({
      env: {
        orders: { NATS_URL: NATS_URL!, OUTBOX_POLL_MS: '20' },
        gateway: { ...cache, REDIS_URL: REDIS_URL! },
      },
    });
    const gatewayEnv = (port: number, extra: Record<string, string>) => ({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      PORT: String(port),
      USERS_URL: `${platform.users.url}/graphql`,
      ORDERS_URL: `${platform.orders.url}/graphql`,
      JWKS_URL: `${platform.users.url}/.well-known/jwks.json`,
      ...cache,
      ...extra,
    });
    const [bPort, cPort, downPort, deadRedisPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    second = new ServiceProcess('gateway', `http://127.0.0.1:${bPort}`, gatewayEnv(bPort, { REDIS_URL: REDIS_URL! }));
    memory = new ServiceProcess('gateway', `http://127.0.0.1:${cPort}`, gatewayEnv(cPort, { NATS_URL: NATS_URL! }));
    // Nothing listens there: Redis is down for this one from the start.
    redisDown = new ServiceProcess(
      'gateway',
      `http://127.0.0.1:${downPort}`,
      gatewayEnv(downPort, { REDIS_URL: `redis://127.0.0.1:${deadRedisPort}` }),
    );
    await Promise.all([second.start(), memory.start(), redisDown.start()]);
    gql = {
      a: platform.gql,
      b: graphqlClient(`${second.url}/graphql`),
      c: graphqlClient(`${memory.url}/graphql`),
      down: graphqlClient(`${redisDown.url}/graphql`),
    };
    redis = new Redis(REDIS_URL!);
    const signIn = await gql.a(SIGN_IN, { input: TEST_ADMIN });
    adminToken = signIn.data!.signIn.token;
    // Each gateway follows the change events from the newest on: wait until C has subscribed.
    await until(
      async () => memory.logLines().some((line) => line.msg === 'response cache purges on change events'),
      'gateway C to follow events',
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([second, memory, redisDown].map((gateway) => gateway?.kill('SIGTERM')));
    await platform?.stop();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  const hits = (gateway: { url: string }, operation: string) => readMetric(gateway.url, 'gateway_response_cache_hits_total', { operation });

  test('when a public catalog page is asked twice, then the second answer comes from the cache with truthful Cache-Control and Age', async () => {
    const first = await gql.a(CATALOG, { first: 7 });
    expect(first.errors).toEqual([]);
    expect(first.headers.get('cache-control')).toBe('max-age=60, public');
    expect(first.headers.get('age')).toBeNull();
    const before = (await hits(platform.gateway, 'Catalog')) ?? 0;
    const again = await gql.a(CATALOG, { first: 7 });
    expect(again.data).toEqual(first.data);
    expect(again.headers.get('cache-control')).toBe('max-age=60, public');
    expect(Number(again.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(await hits(platform.gateway, 'Catalog')).toBe(before + 1);
    // Other variables, another entry.
    expect(productsOf((await gql.a(CATALOG, { first: 3 })).data)).toHaveLength(3);
  });

  test('when an admin changes a price through gateway A, then A and B answer the new price right after the mutation, and C once the event arrives', async () => {
    const [product] = productsOf((await gql.a(CATALOG, { first: 1 })).data);
    // Every gateway has the old page cached.
    for (const send of [gql.a, gql.b, gql.c]) {
      await send(CATALOG, { first: 1 });
      expect(productsOf((await send(CATALOG, { first: 1 })).data)[0]!.priceCents).toBe(product!.priceCents);
    }
    expect(await hits(memory, 'Catalog')).toBeGreaterThanOrEqual(1);
    const newPrice = product!.priceCents + 123;
    const upsert = await gql.a(UPSERT, { input: { ...product, priceCents: newPrice, stock: 500 } }, { token: adminToken });
    expect(upsert.errors).toEqual([]);
    // No waiting: A purged before it answered, and B shares A's Redis.
    expect(productsOf((await gql.a(CATALOG, { first: 1 })).data)[0]!.priceCents).toBe(newPrice);
    expect(productsOf((await gql.b(CATALOG, { first: 1 })).data)[0]!.priceCents).toBe(newPrice);
    // C's cache is its own: the outbox's ProductChanged event purges it.
    await until(
      async () => productsOf((await gql.c(CATALOG, { first: 1 })).data)[0]!.priceCents === newPrice,
      'gateway C to purge on the event',
    );
    expect(await readMetric(memory.url, 'gateway_response_cache_purged_tags_total', { source: 'event' })).toBeGreaterThanOrEqual(1);
    // And from then on C serves the new price from its cache.
    const hitsBefore = (await hits(memory, 'Catalog')) ?? 0;
    expect(productsOf((await gql.c(CATALOG, { first: 1 })).data)[0]!.priceCents).toBe(newPrice);
    expect(await hits(memory, 'Catalog')).toBe(hitsBefore + 1);
  });

  test('when a product is created after its absence was cached, then the new product is answered right after the mutation', async () => {
    const PRODUCT = `query One($sku: ID!) { product(sku: $sku) { sku name priceCents } }`;
    const sku = `NEW-${randomUUID().slice(0, 8)}`;
    expect((await gql.a(PRODUCT, { sku })).data!.product).toBeNull();
    const again = await gql.a(PRODUCT, { sku });
    expect(again.data!.product).toBeNull();
    expect(again.headers.get('age')).not.toBeNull();
    const created = await gql.a(
      UPSERT,
      { input: { sku, name: 'Brand new', priceCents: 999, currency: 'USD', stock: 5 } },
      { token: adminToken },
    );
    expect(created.errors).toEqual([]);
    expect((await gql.a(PRODUCT, { sku })).data!.product).toEqual({ sku, name: 'Brand new', priceCents: 999 });
  });

  test('when an order is placed, then the stock read right after is the new one (stock is never cached)', async () => {
    const signUp = await gql.a(SIGN_UP, {
      input: { email: `stock-${randomUUID().slice(0, 8)}@example.com`, password: 'stock-password', name: 'Stock' },
    });
    const token = signUp.data!.signUp.token;
    const first = await gql.a(STOCK, { first: 2 });
    expect(first.headers.get('cache-control')).toBe('no-store');
    const { sku, stock } = first.data!.products.edges[0].node;
    await gql.a(STOCK, { first: 2 });
    const placed = await gql.a(PLACE_ORDER, { input: { items: [{ sku, quantity: 2 }], idempotencyKey: randomUUID() } }, { token });
    expect(placed.errors).toEqual([]);
    for (const send of [gql.a, gql.b, gql.c]) {
      const after = await send(STOCK, { first: 2 });
      expect(after.data!.products.edges[0].node).toEqual({ sku, stock: stock - 2 });
      expect(after.headers.get('age')).toBeNull();
    }
  });

  test('when two accounts ask for their own data, then each gets only its own, from the cache too', async () => {
    const accounts = await Promise.all(
      ['ada', 'grace'].map(async (name) => {
        const signUp = await gql.a(SIGN_UP, {
          input: { email: `${name}-${randomUUID().slice(0, 8)}@example.com`, password: 'private-password', name },
        });
        return { name, ...signUp.data!.signUp };
      }),
    );
    for (let round = 0; round < 2; round++) {
      for (const account of accounts) {
        const me = await gql.a(ME, {}, { token: account.token });
        expect(me.data!.me).toMatchObject({ id: account.user.id, name: account.name });
        expect(me.headers.get('cache-control')).toBe('max-age=30, private');
        if (round === 1) expect(me.headers.get('age')).not.toBeNull();
      }
    }
    // Anonymous callers get no one's private data.
    expect((await gql.a(ME)).data!.me).toBeNull();
  });

  test('when a cached entry is poisoned or oversized in Redis, then it is refused and the answer is computed afresh', async () => {
    const page = await gql.a(CATALOG, { first: 4 });
    await gql.a(CATALOG, { first: 4 });
    const entries = await redis.keys(`${prefix}:e:*`);
    expect(entries.length).toBeGreaterThan(0);
    const refused = async (reason: string) =>
      (await readMetric(platform.gateway.url, 'gateway_response_cache_refused_total', { operation: 'unknown', reason })) ?? 0;
    for (const [reason, value] of [
      [
        'malformed',
        '{"v":1,"tags":[],"fetchedAt":9e15}\n{"data":{"products":{"totalCount":-1}},"cachePolicy":{"maxAge":60},"cacheTime":0}',
      ],
      ['oversized', `${JSON.stringify({ v: 1, tags: [], fetchedAt: 9e15 })}\n${JSON.stringify({ data: { pad: 'x'.repeat(600 * 1024) } })}`],
    ] as const) {
      const before = await refused(reason);
      for (const key of entries) await redis.set(key, value, 'EX', 60);
      const answer = await gql.a(CATALOG, { first: 4 });
      expect(answer.errors).toEqual([]);
      expect(answer.data).toEqual(page.data);
      expect(await refused(reason)).toBeGreaterThan(before);
    }
  });

  test('when Redis is down, then the gateway answers uncached and says so in its logs', async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await gql.down(CATALOG, { first: 2 });
      expect(answer.errors).toEqual([]);
      expect(productsOf(answer.data)).toHaveLength(2);
      expect(answer.headers.get('age')).toBeNull();
    }
    expect(redisDown.logLines().some((line) => line.level === 'warn' && String(line.msg).includes('response cache store'))).toBe(true);
    expect(await readMetric(redisDown.url, 'gateway_response_cache_store_errors_total')).toBeGreaterThan(0);
  });
});
