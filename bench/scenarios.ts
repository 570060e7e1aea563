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

/** One request's body (JSON) and bearer token (null: anonymous). */
export interface ScenarioRequest {
  body: string;
  token: string | null;
}

type ScenarioId = 'products' | 'my-orders' | 'admin-fan-out' | 'place-order';

export interface Scenario {
  id: ScenarioId;
  /** Its number in issue 8. */
  number: 1 | 2 | 3 | 4;
  title: string;
  /** Page size the load uses; for reads, `smallSize` is the page the SQL-scaling probe compares it with. */
  size?: number;
  smallSize?: number;
  /** A generator of requests (the load calls it once per request); `size` overrides the page size. */
  requests(context: ScenarioContext, size?: number): () => ScenarioRequest;
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

const PRODUCTS = /* GraphQL */ `
  query BenchProducts($first: Int!) {
    products(first: $first) {
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

/** The four scenarios of issue 8, in its order. */
export const SCENARIOS: Scenario[] = [
  {
    id: 'products',
    number: 1,
    title: 'anonymous products(first: 50)',
    size: 50,
    smallSize: 5,
    requests: (_context, size = 50) => {
      const request = { body: body(PRODUCTS, { first: size }), token: null };
      return () => request;
    },
    checkData(data, size) {
      const edges = edgesOf(data.products);
      if (!edges || edges.length !== size) return `expected ${size} products, got ${edges?.length ?? 'none'}`;
      const bad = edges.find((edge) => typeof (edge.node as Json | null)?.name !== 'string');
      return bad ? 'a product without a name' : null;
    },
  },
  {
    id: 'my-orders',
    number: 2,
    title: 'signed-in me { orders(first: 20) { … items { product { name priceCents } } } }',
    size: 20,
    smallSize: 2,
    requests: (context, size = 20) => {
      const token = rotate(context.customerTokens);
      const payload = body(MY_ORDERS, { first: size });
      return () => ({ body: payload, token: token() });
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
    requests: (context, size = 50) => {
      const request = { body: body(ADMIN_FAN_OUT, { first: size }), token: context.adminToken };
      return () => request;
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
