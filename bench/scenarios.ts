/** What every scenario's requests are made from: who signs them and what they may order. */
export interface ScenarioContext {
  /** Tokens of customers who have at least 20 orders each; requests rotate through them. */
  customerTokens: string[];
  adminToken: string;
  /** The catalog's skus (placeOrder picks from them). */
  skus: string[];
  /** Unique per run and gateway, so idempotency keys never repeat across runs on one database. */
  keyPrefix: string;
}

/**
 * How a scenario's requests vary. `distinct`: every request differs from the ones around it
 * (customers rotate, each with their own token, and the variables change), as traffic from many
 * people does: no two requests in flight share a subgraph fetch, and a response cache keyed by
 * account and variables finds what it can really find. `identical`: one request over and over
 * (one token, one set of variables), the best case for in-flight deduplication and caches. The
 * headline numbers are the distinct form's (BENCHMARKS.md).
 */
export type RequestForm = 'distinct' | 'identical';
export const REQUEST_FORMS: readonly RequestForm[] = ['distinct', 'identical'];

/** One request's body (JSON), bearer token (null: anonymous) and the page size its answer must have. */
export interface ScenarioRequest {
  body: string;
  token: string | null;
  /** Items the answer's page must hold (checked while warming up); absent: the scenario's own size. */
  size?: number;
}

type ScenarioId = 'products' | 'my-orders' | 'admin-fan-out' | 'place-order' | 'catalog';

export interface Scenario {
  id: ScenarioId;
  /** Its number (1–4 are issue 8's, 5 is issue 18's cacheable catalog page). */
  number: 1 | 2 | 3 | 4 | 5;
  title: string;
  /** Page size the load uses; for reads, `smallSize` is the page the SQL-scaling probe compares it with. */
  size?: number;
  smallSize?: number;
  /** The forms this scenario runs in (placeOrder: distinct only, every order is new). */
  forms: readonly RequestForm[];
  /**
   * A generator of requests (the load calls it once per request); `size` fixes the page size
   * (the SQL probe), `form` says how requests vary (default distinct).
   */
  requests(context: ScenarioContext, options?: { size?: number; form?: RequestForm }): () => ScenarioRequest;
  /** What is wrong with a successful response's `data` (null: it is what the scenario expects). */
  checkData(data: Record<string, unknown>, size: number): string | null;
}

type Json = Record<string, unknown>;
const body = (query: string, variables: Json) => JSON.stringify({ query, variables });
const rotate = <T>(items: readonly T[]) => {
  let next = 0;
  return () => items[next++ % items.length]!;
};
const edgesOf = (connection: unknown): Json[] | null => {
  const edges = (connection as { edges?: unknown } | null)?.edges;
  return Array.isArray(edges) ? (edges as Json[]) : null;
};
/** The API's opaque cursor of a sort key (shared/src/graphql/pagination.ts: `c1:` + key, base64url). */
const cursorOf = (key: string) => Buffer.from(`c1:${key}`, 'utf8').toString('base64url');
/**
 * A cycle over `count` variants whose length is coprime with the customers' rotation, so
 * that customer and variables pair up differently on every lap (no two neighbours alike).
 */
const variants = (count: number, customers: number) => {
  let length = count;
  while (customers > 1 && gcd(length, customers) !== 1) length -= 1;
  let next = 0;
  return () => next++ % length;
};
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

const PRODUCTS = /* GraphQL */ `
  query BenchProducts($first: Int!, $after: String) {
    products(first: $first, after: $after) {
      edges {
        node {
          sku
          name
          priceCents
          stock
        }
      }
    }
  }
`;
const CATALOG = /* GraphQL */ `
  query BenchCatalog($first: Int!, $after: String) {
    products(first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          sku
          name
          priceCents
          currency
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
const MY_ORDERS = /* GraphQL */ `
  query BenchMyOrders($first: Int!) {
    me {
      orders(first: $first) {
        edges {
          node {
            items {
              product {
                name
                priceCents
              }
            }
          }
        }
      }
    }
  }
`;
const ADMIN_FAN_OUT = /* GraphQL */ `
  query BenchAdminFanOut($first: Int!) {
    users(first: $first) {
      edges {
        node {
          name
          orders(first: 5) {
            totalCount
          }
        }
      }
    }
  }
`;
const PLACE_ORDER = /* GraphQL */ `
  mutation BenchPlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      totalCents
    }
  }
`;

/**
 * A catalog page read by many: identical, the first page anonymously; distinct, customers
 * rotating (each with their own token) and each request starting after another of the first
 * 150 skus (pages of `size` stay full over the 200-product catalog).
 */
const catalogRequests =
  (query: string, fallbackSize: number) =>
  (context: ScenarioContext, { size = fallbackSize, form = 'distinct' }: { size?: number; form?: RequestForm } = {}) => {
    if (form === 'identical') {
      const request = { body: body(query, { first: size }), token: null, size };
      return () => request;
    }
    const token = rotate(context.customerTokens);
    const sorted = [...context.skus].sort();
    const starts = Math.max(1, Math.min(150, sorted.length - size));
    const start = variants(starts, context.customerTokens.length);
    return () => {
      const after = start();
      // The first variant is the first page (no cursor), the others start after sku number `after`.
      const variables = after === 0 ? { first: size } : { first: size, after: cursorOf(sorted[after - 1]!) };
      return { body: body(query, variables), token: token(), size };
    };
  };

const checkProductPage = (data: Json, size: number) => {
  const edges = edgesOf(data.products);
  if (!edges || edges.length !== size) return `expected ${size} products, got ${edges?.length ?? 'none'}`;
  const bad = edges.find((edge) => typeof (edge.node as Json | null)?.name !== 'string');
  return bad ? 'a product without a name' : null;
};

/** The scenarios: issue 8's four, in its order, then issue 18's cacheable catalog page. */
export const SCENARIOS: Scenario[] = [
  {
    id: 'products',
    number: 1,
    title: 'products(first: 50) { sku name priceCents stock } (stock: never cacheable)',
    size: 50,
    smallSize: 5,
    forms: REQUEST_FORMS,
    requests: catalogRequests(PRODUCTS, 50),
    checkData: checkProductPage,
  },
  {
    id: 'my-orders',
    number: 2,
    title: 'signed-in me { orders(first: 20) { … items { product { name priceCents } } } }',
    size: 20,
    smallSize: 2,
    forms: REQUEST_FORMS,
    requests: (context, { size = 20, form = 'distinct' } = {}) => {
      if (form === 'identical') {
        const request = { body: body(MY_ORDERS, { first: size }), token: context.customerTokens[0]!, size };
        return () => request;
      }
      // Each customer has at least 20 orders: pages of 11 to 20 (distinct variables) stay full.
      const token = rotate(context.customerTokens);
      const pick = variants(Math.min(10, size), context.customerTokens.length);
      return () => {
        const first = size - pick();
        return { body: body(MY_ORDERS, { first }), token: token(), size: first };
      };
    },
    checkData(data, size) {
      const edges = edgesOf((data.me as Json | null)?.orders);
      if (!edges || edges.length !== size) return `expected ${size} orders, got ${edges?.length ?? 'none'}`;
      for (const edge of edges) {
        const items = (edge.node as { items?: { product?: { name?: unknown; priceCents?: unknown } }[] } | null)?.items;
        if (!items || items.length === 0) return 'an order without items';
        if (items.some((item) => typeof item.product?.name !== 'string' || typeof item.product.priceCents !== 'number')) {
          return 'an item without its product';
        }
      }
      return null;
    },
  },
  {
    id: 'admin-fan-out',
    number: 3,
    title: 'admin users(first: 50) { … name orders(first: 5) { totalCount } }',
    size: 50,
    smallSize: 5,
    forms: REQUEST_FORMS,
    requests: (context, { size = 50, form = 'distinct' } = {}) => {
      if (form === 'identical') {
        const request = { body: body(ADMIN_FAN_OUT, { first: size }), token: context.adminToken, size };
        return () => request;
      }
      // One admin account: its requests differ by page size (26 to 50 users, all of them there).
      const pick = variants(Math.max(1, Math.floor(size / 2)), 1);
      return () => {
        const first = size - pick();
        return { body: body(ADMIN_FAN_OUT, { first }), token: context.adminToken, size: first };
      };
    },
    checkData(data, size) {
      const edges = edgesOf(data.users);
      if (!edges || edges.length !== size) return `expected ${size} users, got ${edges?.length ?? 'none'}`;
      const counts = edges.map((edge) => (edge.node as { orders?: { totalCount?: unknown } } | null)?.orders?.totalCount);
      if (counts.some((count) => typeof count !== 'number')) return 'a user without an order count';
      return (counts as number[]).some((count) => count > 0) ? null : 'no user with orders';
    },
  },
  {
    id: 'place-order',
    number: 4,
    title: 'placeOrder (distinct idempotency keys)',
    forms: ['distinct'],
    requests: (context) => {
      const token = rotate(context.customerTokens);
      let n = 0;
      return () => {
        n += 1;
        // 1 to 3 distinct products, spread over the catalog so stock updates rarely queue on one row.
        const lines = 1 + (n % 3);
        const start = (n * 37) % context.skus.length;
        const items = Array.from({ length: lines }, (_, i) => ({
          sku: context.skus[(start + i * 61) % context.skus.length]!,
          quantity: 1,
        }));
        return { body: body(PLACE_ORDER, { input: { items, idempotencyKey: `${context.keyPrefix}-${n}` } }), token: token() };
      };
    },
    checkData(data) {
      const order = data.placeOrder as { id?: unknown; status?: unknown } | null;
      if (typeof order?.id !== 'string') return 'no order id';
      return order.status === 'CONFIRMED' ? null : `order status ${String(order.status)}`;
    },
  },
  {
    id: 'catalog',
    number: 5,
    title: 'catalog page products(first: 20, after) { totalCount … sku name priceCents currency } (cacheable: no stock)',
    size: 20,
    smallSize: 5,
    forms: REQUEST_FORMS,
    requests: catalogRequests(CATALOG, 20),
    checkData: checkProductPage,
  },
];

/**
 * Judges one response in full: HTTP 200, JSON, no GraphQL errors, data as the scenario
 * expects. Returns what is wrong, or null.
 */
export function checkResponse(scenario: Scenario, status: number, responseBody: string, size = scenario.size ?? 0): string | null {
  if (status !== 200) return `HTTP ${status}: ${responseBody.slice(0, 200)}`;
  let parsed: { data?: Json | null; errors?: { message?: string }[] };
  try {
    parsed = JSON.parse(responseBody) as typeof parsed;
  } catch {
    return `not JSON: ${responseBody.slice(0, 200)}`;
  }
  if (parsed.errors?.length) return `GraphQL error: ${parsed.errors[0]?.message ?? JSON.stringify(parsed.errors[0])}`;
  if (!parsed.data) return 'no data';
  return scenario.checkData(parsed.data, size);
}

/** Picks scenarios by id or number (`products,3`); all when `names` is empty. */
export function selectScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return SCENARIOS;
  return names.map((name) => {
    const found = SCENARIOS.find((scenario) => scenario.id === name || String(scenario.number) === name);
    if (!found) throw new Error(`unknown scenario "${name}" (one of ${SCENARIOS.map((s) => `${s.number}/${s.id}`).join(', ')})`);
    return found;
  });
}
