import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';

/**
 * The shop's customers as clients of a load balancer: each signs up, then browses the
 * catalog, orders (some of the hot products everybody wants), cancels, reads its orders and
 * its tier, signs in again now and then; an admin ships orders meanwhile. Every client
 * connects from an address of its own (127.1.x.y), so per-address limits see many clients, as
 * behind a real load balancer, and retries what a client of any load balancer must retry:
 * transport failures, 502/503/504 and SERVICE_UNAVAILABLE, with the same idempotency key for
 * an order. Every outcome is kept: the ledger the invariants are checked against.
 */

/** Codes an operation may legitimately end with (anything else is a failure the test reports). */
const EXPECTED_CODES: Record<string, string[]> = {
  // The email is taken when an earlier attempt whose answer was lost created the account.
  signUp: ['CONFLICT'],
  signIn: [],
  // APQ's way of asking for the text (the hash is not registered yet).
  catalog: ['PERSISTED_QUERY_NOT_FOUND'],
  hotProduct: [],
  myOrders: [],
  tier: [],
  // Not enough stock (the hot products run out).
  placeOrder: ['CONFLICT'],
  // Shipped meanwhile by the admin.
  cancelOrder: ['CONFLICT'],
  // Cancelled meanwhile by its owner.
  shipOrder: ['CONFLICT'],
  orderStatus: [],
};

export interface OperationStats {
  calls: number;
  ok: number;
  /** Expected domain errors, by code. */
  expected: Record<string, number>;
  /** Errors a client retries (and that were then retried), by reason. */
  retried: Record<string, number>;
  /** Anything else, by reason: each one is a failure of the platform. */
  unexpected: Record<string, number>;
  /** Calls still failing with retryable errors when the client stopped trying (20 s). */
  gaveUp: number;
  /** Milliseconds from the first attempt to the final answer, retries included. */
  latenciesMs: number[];
}

export interface PlacedOrder {
  key: string;
  customer: number;
  items: { sku: string; quantity: number }[];
  /** accepted: an order id came back; rejected: CONFLICT (stock); unknown: the client gave up. */
  outcome: 'accepted' | 'rejected' | 'unknown';
  orderId?: string;
  totalCents?: number;
  cancelled: boolean;
  shipped: boolean;
  /** A cancel or ship whose answer never came: the order's status is read at the end. */
  statusUnknown: boolean;
}

export interface RetryEvent {
  atMs: number;
  operation: string;
  reason: string;
}

export interface Customer {
  index: number;
  email: string;
  password: string;
  userId: string;
  token: string;
  client: HttpClient;
}

export interface LoadReport {
  durationMs: number;
  /** Operations answered in the measured window (after the warm-up), per second. */
  operationsPerSecond: number;
  operations: Record<string, OperationStats>;
  orders: Map<string, PlacedOrder>;
  customers: Customer[];
  /** The same idempotency key sent again and answered with another order (must be none). */
  idempotencyViolations: string[];
  /** A persisted-query hash answered PERSISTED_QUERY_NOT_FOUND after it was registered once. */
  apqMisses: number;
  retries: RetryEvent[];
  /** Token key ids seen in sign-ins, by kid (the rotation moves them). */
  tokenKids: Record<string, number>;
}

/** An HTTP client bound to one local address (one "client machine"). */
export interface HttpClient {
  address: string;
  post(
    url: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GraphQLBody | undefined; text: string }>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Client `index` (from 1) connects from 127.1.x.y: loopback has the whole 127/8. */
export function clientAddress(index: number): string {
  return `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

export function httpClient(address: string): HttpClient {
  // undici's own option (a `connect.localAddress` is not passed on to the socket).
  const agent = new Agent({ localAddress: address, keepAliveTimeout: 4_000, connections: 8 });
  return {
    address,
    async post(url, body, headers = {}) {
      const response = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await response.body.text();
      let parsed: GraphQLBody | undefined;
      try {
        parsed = JSON.parse(text) as GraphQLBody;
      } catch {
        parsed = undefined;
      }
      return { status: response.statusCode, body: parsed, text };
    },
    close: () => agent.close(),
  };
}

type Verdict =
  | { kind: 'ok'; body: GraphQLBody }
  | { kind: 'expected'; code: string; body: GraphQLBody }
  | { kind: 'retryable'; reason: string }
  | { kind: 'unexpected'; reason: string };

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/** What a client makes of one answer (or of no answer). */
export function judge(answer: { status: number; body: GraphQLBody | undefined; text: string } | Error, expected: string[]): Verdict {
  if (answer instanceof Error) {
    const code = (answer as { code?: string }).code ?? answer.name;
    return { kind: 'retryable', reason: `transport ${code}` };
  }
  const codes = (answer.body?.errors ?? []).map((error) => error.extensions?.code ?? 'NO_CODE');
  if (RETRYABLE_STATUSES.has(answer.status) && !answer.body?.errors) return { kind: 'retryable', reason: `HTTP ${answer.status}` };
  if (codes.includes('SERVICE_UNAVAILABLE')) return { kind: 'retryable', reason: 'SERVICE_UNAVAILABLE' };
  if (codes.includes('RATE_LIMITED')) return { kind: 'retryable', reason: 'RATE_LIMITED' };
  if (!answer.body) return { kind: 'unexpected', reason: `HTTP ${answer.status}: ${answer.text.slice(0, 120)}` };
  if (codes.length === 0 && answer.status === 200) return { kind: 'ok', body: answer.body };
  const unexpected = codes.filter((code) => !expected.includes(code));
  if (unexpected.length === 0 && codes.length > 0) return { kind: 'expected', code: codes[0]!, body: answer.body };
  const first = answer.body.errors?.find((error) => !expected.includes(error.extensions?.code ?? 'NO_CODE'));
  return { kind: 'unexpected', reason: `HTTP ${answer.status} ${unexpected.join(',')}: ${first?.message ?? ''}`.slice(0, 200) };
}

const QUERIES = {
  signUp: 'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
  signIn: 'mutation SignIn($input: SignInInput!) { signIn(input: $input) { token user { id } } }',
  catalog: 'query Catalog { products(first: 20) { totalCount edges { node { sku name priceCents stock } } } }',
  hotProduct: 'query Product($sku: ID!) { product(sku: $sku) { sku stock } }',
  myOrders:
    'query MyOrders { me { id orders(first: 5) { totalCount edges { node { id status totalCents items { quantity product { sku } } } } } } }',
  tier: 'query Tier { me { id tier lifetimeSpendCents } }',
  placeOrder: 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status totalCents } }',
  cancelOrder: 'mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status } }',
  shipOrder: 'mutation Ship($id: ID!) { shipOrder(id: $id) { id status } }',
  orderStatus: 'query Status($id: ID!) { order(id: $id) { id status } }',
  upsertProduct: 'mutation Upsert($input: ProductInput!) { upsertProduct(input: $input) { sku stock } }',
} as const;

const CATALOG_HASH = createHash('sha256').update(QUERIES.catalog).digest('hex');

export interface LoadOptions {
  /** The public door (HAProxy in front of the gateways). */
  gatewayUrl: string;
  customers: number;
  durationMs: number;
  /** Mean pause between one customer's requests, ms (0: as fast as answers come). */
  thinkMs: number;
  /** Operations answered before this many ms are not counted in `operationsPerSecond`. */
  warmUpMs?: number;
  /** How often the admin ships an order, ms (0: never). */
  shipEveryMs: number;
  admin: { email: string; password: string };
  products: { normal: string[]; hot: string[] };
  /** The run's tag, in emails and idempotency keys. */
  run: string;
  /** The platform's clock (fault events are on it). */
  startedAt: number;
}

/** The key id in a JWT's header (which signing key made it). */
export function tokenKid(token: string): string {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid?: string }).kid ?? 'none';
  } catch {
    return 'unreadable';
  }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sets up and drives the load; see the file's comment. Customers are signed up before the
 * clock starts; the report holds every operation's outcome and the order ledger.
 */
export class ShopLoad {
  readonly report: LoadReport;
  private readonly graphqlUrl: string;
  private adminClient: HttpClient;
  private adminToken = '';
  private orderCounter = 0;
  private registeredCatalog = false;
  /** Each customer's orders, so picking one of them does not scan the whole ledger. */
  private readonly ordersOf = new Map<number, PlacedOrder[]>();

  constructor(private readonly options: LoadOptions) {
    this.graphqlUrl = `${options.gatewayUrl}/graphql`;
    this.adminClient = httpClient(clientAddress(0));
    this.report = {
      durationMs: options.durationMs,
      operationsPerSecond: 0,
      operations: Object.fromEntries(
        Object.keys(EXPECTED_CODES).map((name) => [
          name,
          { calls: 0, ok: 0, expected: {}, retried: {}, unexpected: {}, gaveUp: 0, latenciesMs: [] },
        ]),
      ),
      orders: new Map(),
      customers: [],
      idempotencyViolations: [],
      apqMisses: 0,
      retries: [],
      tokenKids: {},
    };
  }

  /**
   * One operation as a careful client performs it: retried on retryable errors with
   * exponential backoff for up to 20 s, then given up. Resolves with the final verdict.
   */
  async call(
    operation: keyof typeof EXPECTED_CODES,
    client: HttpClient,
    body: { query?: string; variables?: Record<string, unknown>; extensions?: unknown },
    token?: string,
  ): Promise<Verdict & { attempts: number }> {
    const stats = this.report.operations[operation]!;
    stats.calls += 1;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      let answer: Awaited<ReturnType<HttpClient['post']>> | Error;
      try {
        answer = await client.post(this.graphqlUrl, body, token ? { authorization: `Bearer ${token}` } : {});
      } catch (error) {
        answer = error as Error;
      }
      const verdict = judge(answer, EXPECTED_CODES[operation]!);
      if (verdict.kind === 'retryable') {
        stats.retried[verdict.reason] = (stats.retried[verdict.reason] ?? 0) + 1;
        if (this.report.retries.length < 20_000) {
          this.report.retries.push({ atMs: Date.now() - this.options.startedAt, operation, reason: verdict.reason });
        }
        if (Date.now() - started > 20_000) {
          stats.gaveUp += 1;
          return { ...verdict, attempts: attempt + 1 };
        }
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random()));
        continue;
      }
      stats.latenciesMs.push(Date.now() - started);
      if (verdict.kind === 'ok') stats.ok += 1;
      else if (verdict.kind === 'expected') stats.expected[verdict.code] = (stats.expected[verdict.code] ?? 0) + 1;
      else stats.unexpected[verdict.reason] = (stats.unexpected[verdict.reason] ?? 0) + 1;
      return { ...verdict, attempts: attempt + 1 };
    }
  }

  private async signInAdmin(): Promise<void> {
    const verdict = await this.call('signIn', this.adminClient, { query: QUERIES.signIn, variables: { input: this.options.admin } });
    if (verdict.kind !== 'ok') throw new Error(`the admin cannot sign in: ${JSON.stringify(verdict)}`);
    this.adminToken = verdict.body.data!.signIn.token;
  }

  /** The catalog the load buys from: plenty of the normal products, a little of the hot ones. */
  async stockCatalog(stock: { normal: number; hot: number }): Promise<Map<string, number>> {
    await this.signInAdmin();
    const initial = new Map<string, number>();
    for (const [skus, units] of [
      [this.options.products.normal, stock.normal],
      [this.options.products.hot, stock.hot],
    ] as const) {
      for (const sku of skus) {
        const input = { sku, name: `Scale ${sku}`, priceCents: 500 + Math.floor(Math.random() * 4_500), currency: 'USD', stock: units };
        const response = await this.adminClient.post(
          this.graphqlUrl,
          { query: QUERIES.upsertProduct, variables: { input } },
          { authorization: `Bearer ${this.adminToken}` },
        );
        if (response.status !== 200 || response.body?.errors) throw new Error(`upsertProduct ${sku}: ${response.text}`);
        initial.set(sku, units);
      }
    }
    return initial;
  }

  /** Signs every customer up (retrying; an email already taken by a lost first attempt means: sign in). */
  async signUpCustomers(): Promise<void> {
    const signUp = async (index: number): Promise<Customer> => {
      const client = httpClient(clientAddress(index));
      const email = `c${index}-${this.options.run}@scale.test`;
      const password = `password-${this.options.run}-${index}`;
      const verdict = await this.call('signUp', client, {
        query: QUERIES.signUp,
        variables: { input: { email, password, name: `Customer ${index}` } },
      });
      if (verdict.kind === 'ok') {
        return { index, email, password, client, userId: verdict.body.data!.signUp.user.id, token: verdict.body.data!.signUp.token };
      }
      // Taken on a first attempt is a real failure (the emails are this run's own); after a retry it is ours.
      if (verdict.kind === 'expected' && verdict.attempts > 1) {
        const signIn = await this.call('signIn', client, { query: QUERIES.signIn, variables: { input: { email, password } } });
        if (signIn.kind === 'ok')
          return { index, email, password, client, userId: signIn.body.data!.signIn.user.id, token: signIn.body.data!.signIn.token };
      }
      throw new Error(`customer ${index} could not sign up: ${JSON.stringify(verdict)}`);
    };
    const customers: Customer[] = [];
    // A few at a time: sign-up hashes a password (scrypt), the rest of the load should not wait on it.
    for (let start = 1; start <= this.options.customers; start += 8) {
      const batch = Array.from({ length: Math.min(8, this.options.customers - start + 1) }, (_, i) => signUp(start + i));
      customers.push(...(await Promise.all(batch)));
    }
    this.report.customers = customers;
  }

  private async placeOrder(customer: Customer): Promise<void> {
    const mine = (this.ordersOf.get(customer.index) ?? []).filter((order) => order.outcome === 'accepted');
    // Now and then a client sends an order again with its key (a double click, a replayed request).
    const replay = mine.length > 0 && Math.random() < 0.05 ? pick(mine) : undefined;
    let order: PlacedOrder;
    if (replay) {
      order = replay;
    } else {
      const skus = new Set([pick(this.options.products.normal)]);
      if (Math.random() < 0.5) skus.add(pick(this.options.products.normal));
      if (Math.random() < 0.3) skus.add(pick(this.options.products.hot));
      order = {
        key: `${this.options.run}-${customer.index}-${++this.orderCounter}`,
        customer: customer.index,
        items: [...skus].map((sku) => ({ sku, quantity: this.options.products.hot.includes(sku) ? 1 : 1 + Math.floor(Math.random() * 3) })),
        outcome: 'unknown',
        cancelled: false,
        shipped: false,
        statusUnknown: false,
      };
      this.report.orders.set(order.key, order);
      this.ordersOf.set(customer.index, [...(this.ordersOf.get(customer.index) ?? []), order]);
    }
    const verdict = await this.call(
      'placeOrder',
      customer.client,
      { query: QUERIES.placeOrder, variables: { input: { items: order.items, idempotencyKey: order.key } } },
      customer.token,
    );
    if (verdict.kind === 'ok') {
      const placed = verdict.body.data!.placeOrder as { id: string; totalCents: number };
      if (replay && replay.orderId !== placed.id)
        this.report.idempotencyViolations.push(`${order.key}: ${replay.orderId} then ${placed.id}`);
      if (!replay) Object.assign(order, { outcome: 'accepted', orderId: placed.id, totalCents: placed.totalCents });
    } else if (verdict.kind === 'expected' && !replay) {
      order.outcome = 'rejected';
    } else if (replay && verdict.kind === 'expected') {
      this.report.idempotencyViolations.push(`${order.key}: accepted as ${replay.orderId}, then refused on replay`);
    }
  }

  private async statusOf(order: PlacedOrder, client: HttpClient, token: string): Promise<void> {
    const verdict = await this.call('orderStatus', client, { query: QUERIES.orderStatus, variables: { id: order.orderId } }, token);
    if (verdict.kind !== 'ok') {
      order.statusUnknown = true;
      return;
    }
    const status = verdict.body.data!.order?.status as string | undefined;
    order.cancelled = status === 'CANCELLED';
    order.shipped = status === 'SHIPPED';
    order.statusUnknown = false;
  }

  private async cancelOrder(customer: Customer): Promise<void> {
    const open = (this.ordersOf.get(customer.index) ?? []).filter(
      (order) => order.outcome === 'accepted' && !order.cancelled && !order.shipped && !order.statusUnknown,
    );
    if (open.length === 0) return;
    const order = pick(open);
    const verdict = await this.call(
      'cancelOrder',
      customer.client,
      { query: QUERIES.cancelOrder, variables: { id: order.orderId } },
      customer.token,
    );
    if (verdict.kind === 'ok') order.cancelled = true;
    // Shipped meanwhile, or cancelled by an attempt whose answer was lost: the order says which.
    else if (verdict.kind === 'expected') await this.statusOf(order, customer.client, customer.token);
    else order.statusUnknown = true;
  }

  private async shipOne(): Promise<void> {
    const open = [...this.report.orders.values()].filter(
      (order) => order.outcome === 'accepted' && !order.cancelled && !order.shipped && !order.statusUnknown,
    );
    if (open.length === 0) return;
    const order = pick(open);
    const verdict = await this.call(
      'shipOrder',
      this.adminClient,
      { query: QUERIES.shipOrder, variables: { id: order.orderId } },
      this.adminToken,
    );
    if (verdict.kind === 'ok') order.shipped = true;
    else if (verdict.kind === 'expected') await this.statusOf(order, this.adminClient, this.adminToken);
    else order.statusUnknown = true;
  }

  /** Catalog reads as Apollo Client sends them with APQ: the hash first, the text only when asked. */
  private async readCatalog(customer: Customer): Promise<void> {
    const extensions = { persistedQuery: { version: 1, sha256Hash: CATALOG_HASH } };
    const token = Math.random() < 0.5 ? customer.token : undefined;
    const byHash = await this.call('catalog', customer.client, { extensions }, token);
    if (byHash.kind === 'expected') {
      // Every replica shares the registrations (Redis): after the first, a miss is a replica that forgot.
      if (this.registeredCatalog) this.report.apqMisses += 1;
      await this.call('catalog', customer.client, { query: QUERIES.catalog, extensions }, token);
      this.registeredCatalog = true;
    }
  }

  private async signInAgain(customer: Customer): Promise<void> {
    const verdict = await this.call('signIn', customer.client, {
      query: QUERIES.signIn,
      variables: { input: { email: customer.email, password: customer.password } },
    });
    if (verdict.kind !== 'ok') return;
    customer.token = verdict.body.data!.signIn.token;
    const kid = tokenKid(customer.token);
    this.report.tokenKids[kid] = (this.report.tokenKids[kid] ?? 0) + 1;
  }

  /** Runs the customers (and the admin's shipping) until the duration is over or `stop` aborts. */
  async run(stop?: AbortSignal): Promise<LoadReport> {
    const started = Date.now();
    const deadline = started + this.options.durationMs;
    const warmUpEnds = started + (this.options.warmUpMs ?? 0);
    const answeredBefore = () => Object.values(this.report.operations).reduce((sum, stats) => sum + stats.latenciesMs.length, 0);
    let answeredAtWarmUp = this.options.warmUpMs ? -1 : 0;
    const live = () => Date.now() < deadline && !stop?.aborted;
    const think = () => (this.options.thinkMs > 0 ? sleep(this.options.thinkMs * (0.5 + Math.random())) : Promise.resolve());
    const lastSignIn = new Map<number, number>();
    const customer = async (who: Customer) => {
      while (live()) {
        if (answeredAtWarmUp < 0 && Date.now() >= warmUpEnds) answeredAtWarmUp = answeredBefore();
        const roll = Math.random();
        if (roll < 0.25) await this.readCatalog(who);
        else if (roll < 0.33)
          await this.call('hotProduct', who.client, { query: QUERIES.hotProduct, variables: { sku: pick(this.options.products.hot) } });
        else if (roll < 0.58) await this.placeOrder(who);
        else if (roll < 0.68) await this.call('myOrders', who.client, { query: QUERIES.myOrders }, who.token);
        else if (roll < 0.8) await this.call('tier', who.client, { query: QUERIES.tier }, who.token);
        else if (roll < 0.9) await this.cancelOrder(who);
        // A session renewed now and then; the gateway allows 10 sign-ins a minute per address and email.
        else if (Date.now() - (lastSignIn.get(who.index) ?? started) > 10_000) {
          lastSignIn.set(who.index, Date.now());
          await this.signInAgain(who);
        }
        await think();
      }
    };
    const shipping = async () => {
      if (this.options.shipEveryMs <= 0) return;
      while (live()) {
        await sleep(this.options.shipEveryMs);
        await this.shipOne();
      }
    };
    await Promise.all([...this.report.customers.map(customer), shipping()]);
    const measuredMs = Date.now() - Math.max(warmUpEnds, started);
    this.report.operationsPerSecond = ((answeredBefore() - Math.max(0, answeredAtWarmUp)) * 1000) / Math.max(1, measuredMs);
    this.report.durationMs = Date.now() - started;
    return this.report;
  }

  /**
   * After the load: every order the client never got an answer for is sent again with its
   * key (placing it now, or returning the one placed), and every cancel or ship without an
   * answer is settled by reading the order, so the ledger is complete.
   */
  async settle(): Promise<void> {
    for (const order of this.report.orders.values()) {
      if (order.outcome !== 'unknown') continue;
      const customer = this.report.customers[order.customer - 1]!;
      const verdict = await this.call(
        'placeOrder',
        customer.client,
        { query: QUERIES.placeOrder, variables: { input: { items: order.items, idempotencyKey: order.key } } },
        customer.token,
      );
      if (verdict.kind === 'ok')
        Object.assign(order, {
          outcome: 'accepted',
          orderId: verdict.body.data!.placeOrder.id,
          totalCents: verdict.body.data!.placeOrder.totalCents,
        });
      else if (verdict.kind === 'expected') order.outcome = 'rejected';
    }
    for (const order of this.report.orders.values()) {
      if (order.outcome === 'accepted' && order.statusUnknown) await this.statusOf(order, this.adminClient, this.adminToken);
    }
  }

  /** Signs in a customer now (a token of whichever key the users replicas sign with). */
  async freshToken(customer: Customer): Promise<string> {
    await this.signInAgain(customer);
    return customer.token;
  }

  async close(): Promise<void> {
    await Promise.all([this.adminClient.close(), ...this.report.customers.map((customer) => customer.client.close())]);
  }
}

/** Median and 99th percentile of a list of durations, ms. */
export function percentiles(values: number[]): { p50: number; p99: number } {
  if (values.length === 0) return { p50: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

export { QUERIES as SHOP_QUERIES };
