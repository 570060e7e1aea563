import pg from 'pg';
import type { GraphQLSend } from './graphql-client';
import { TEST_ADMIN } from './test-platform';

export interface MixedLoadOptions {
  gql: GraphQLSend;
  /** The orders database, for the invariant checks at the end. */
  ordersDatabaseUrl: string;
  durationMs: number;
  /** Concurrent clients (8). */
  concurrency?: number;
  /** Customers signing up first (10). */
  customers?: number;
}

export interface MixedLoadReport {
  durationMs: number;
  requests: number;
  byOperation: Record<string, number>;
  /** GraphQL error codes seen, by code (CONFLICT when stock runs out is expected). */
  errorCodes: Record<string, number>;
  http5xx: number;
  ordersPlaced: number;
  ordersCancelled: number;
  ordersShipped: number;
  invariants: { name: string; ok: boolean; detail: string }[];
}

const SKUS = ['KB-001', 'MS-001', 'CB-001', 'CB-002', 'PD-001', 'HS-002'];
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

/**
 * Drives a mix of reads and writes through the gateway for a fixed time, then checks the
 * invariants a shop must never break: for every product, stock + units held by confirmed or
 * shipped orders = initial stock; every order's total is the sum of its items; no 5xx.
 */
export async function runMixedLoad(options: MixedLoadOptions): Promise<MixedLoadReport> {
  const { gql } = options;
  const db = new pg.Pool({ connectionString: options.ordersDatabaseUrl, max: 2 });
  try {
    const initial = new Map<string, number>(
      (await db.query('SELECT sku, stock FROM products WHERE sku = ANY($1)', [SKUS])).rows.map((row) => [row.sku, row.stock]),
    );
    const heldBefore = await heldBySku(db);
    const admin = (await gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!.signIn
      .token as string;
    const run = Date.now().toString(36);
    const tokens: string[] = [];
    for (let i = 0; i < (options.customers ?? 10); i++) {
      const response = await gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, {
        input: { email: `load-${run}-${i}@example.com`, password: 'load-password', name: `Load ${i}` },
      });
      tokens.push(response.data!.signUp.token);
    }
    const report: MixedLoadReport = {
      durationMs: options.durationMs,
      requests: 0,
      byOperation: {},
      errorCodes: {},
      http5xx: 0,
      ordersPlaced: 0,
      ordersCancelled: 0,
      ordersShipped: 0,
      invariants: [],
    };
    const confirmed: { id: string; token: string }[] = [];
    let key = 0;
    const call = async (operation: string, query: string, variables: Record<string, unknown>, token?: string) => {
      const response = await gql(query, variables, { token });
      report.requests++;
      report.byOperation[operation] = (report.byOperation[operation] ?? 0) + 1;
      if (response.status >= 500) report.http5xx++;
      for (const error of response.errors) {
        const code = String(error.extensions?.code ?? 'NONE');
        report.errorCodes[code] = (report.errorCodes[code] ?? 0) + 1;
      }
      return response;
    };
    const deadline = Date.now() + options.durationMs;
    const worker = async () => {
      while (Date.now() < deadline) {
        const roll = Math.random();
        const token = pick(tokens);
        if (roll < 0.35) {
          await call('products', '{ products(first: 20) { totalCount edges { node { sku stock priceCents } } } }', {});
        } else if (roll < 0.55) {
          await call(
            'myOrders',
            '{ me { orders(first: 5) { totalCount edges { node { totalCents items { quantity product { name } } } } } } }',
            {},
            token,
          );
        } else if (roll < 0.85) {
          const skus = [...new Set([pick(SKUS), pick(SKUS)])];
          const idempotencyKey = Math.random() < 0.1 && key > 0 ? `load-${run}-${key - 1}` : `load-${run}-${key++}`;
          const response = await call(
            'placeOrder',
            `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
            { input: { items: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 3) })), idempotencyKey } },
            token,
          );
          const id = response.data?.placeOrder?.id as string | undefined;
          if (id && !confirmed.some((order) => order.id === id)) {
            confirmed.push({ id, token });
            report.ordersPlaced++;
          }
        } else if (roll < 0.95) {
          const order = confirmed.length > 0 ? confirmed.splice(Math.floor(Math.random() * confirmed.length), 1)[0]! : undefined;
          if (!order) continue;
          const response = await call(
            'cancelOrder',
            `mutation($id: ID!) { cancelOrder(id: $id) { status } }`,
            { id: order.id },
            order.token,
          );
          if (response.errors.length === 0) report.ordersCancelled++;
        } else {
          const order = confirmed.length > 0 ? confirmed.splice(Math.floor(Math.random() * confirmed.length), 1)[0]! : undefined;
          if (!order) continue;
          const response = await call('shipOrder', `mutation($id: ID!) { shipOrder(id: $id) { status } }`, { id: order.id }, admin);
          if (response.errors.length === 0) report.ordersShipped++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));

    const now = new Map<string, number>(
      (await db.query('SELECT sku, stock FROM products WHERE sku = ANY($1)', [SKUS])).rows.map((row) => [row.sku, row.stock]),
    );
    const held = await heldBySku(db);
    for (const sku of SKUS) {
      const start = (initial.get(sku) ?? 0) + (heldBefore.get(sku) ?? 0);
      const end = (now.get(sku) ?? 0) + (held.get(sku) ?? 0);
      report.invariants.push({
        name: `stock + units sold of ${sku} = initial stock`,
        ok: start === end && (now.get(sku) ?? 0) >= 0,
        detail: `${now.get(sku)} + ${held.get(sku) ?? 0} vs ${start}`,
      });
    }
    const badTotals = (
      await db.query(`
        SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id
        GROUP BY o.id, o.total_cents HAVING o.total_cents <> sum(i.quantity * i.unit_price_cents)`)
    ).rows.length;
    const empty = (
      await db.query('SELECT count(*)::int AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)')
    ).rows[0].n as number;
    report.invariants.push({
      name: "every order's total = the sum of its items",
      ok: badTotals === 0,
      detail: `${badTotals} order(s) off`,
    });
    report.invariants.push({ name: 'no order without items', ok: empty === 0, detail: `${empty} empty order(s)` });
    report.invariants.push({ name: 'zero 5xx responses', ok: report.http5xx === 0, detail: `${report.http5xx} 5xx` });
    report.invariants.push({
      name: 'no unexpected errors',
      ok: Object.keys(report.errorCodes).every((code) => code === 'CONFLICT'),
      detail: JSON.stringify(report.errorCodes),
    });
    return report;
  } finally {
    await db.end();
  }
}

/** Units taken from stock by orders that still hold them (CONFIRMED or SHIPPED), per sku. */
async function heldBySku(db: pg.Pool): Promise<Map<string, number>> {
  const rows = (
    await db.query(
      `
      SELECT i.sku, sum(i.quantity)::int AS held FROM order_items i JOIN orders o ON o.id = i.order_id
      WHERE o.status IN ('CONFIRMED', 'SHIPPED') AND i.sku = ANY($1) GROUP BY i.sku`,
      [SKUS],
    )
  ).rows;
  return new Map(rows.map((row) => [row.sku, row.held]));
}

export function formatReport(report: MixedLoadReport): string {
  const lines = [
    `mixed load: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(0)} s (${(report.requests / (report.durationMs / 1000)).toFixed(1)}/s)`,
    `  by operation: ${JSON.stringify(report.byOperation)}`,
    `  orders placed ${report.ordersPlaced}, cancelled ${report.ordersCancelled}, shipped ${report.ordersShipped}`,
    `  error codes: ${JSON.stringify(report.errorCodes)} (CONFLICT = out of stock or already closed: expected)`,
    `  5xx: ${report.http5xx}`,
    '  invariants:',
    ...report.invariants.map((check) => `    ${check.ok ? 'ok  ' : 'FAIL'} ${check.name} (${check.detail})`),
  ];
  return lines.join('\n');
}
