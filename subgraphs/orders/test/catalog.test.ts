import { errorCodes, type GraphQLTestResponse } from '../../../test/support/graphql-client';
import { SEED_CATALOG } from '../src/domain/seed-catalog';
import { startOrdersUnderTest, uniqueSku, type Account, type OrdersUnderTest } from './support/orders-under-test';

const UPSERT_PRODUCT = `mutation($input: ProductInput!) { upsertProduct(input: $input) { sku name priceCents currency stock } }`;
const PRODUCT = `query($sku: ID!) { product(sku: $sku) { sku name priceCents currency stock } }`;
const PRODUCTS = `query($first: Int, $after: String) {
  products(first: $first, after: $after) { totalCount edges { cursor node { sku } } pageInfo { hasNextPage endCursor } }
}`;

interface ProductPage {
  totalCount: number;
  edges: { cursor: string; node: { sku: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('the catalog: upsertProduct, product and products', () => {
  let orders: OrdersUnderTest;
  let admin: Account;
  let customer: Account;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
    [admin, customer] = await Promise.all([orders.account({ role: 'ADMIN' }), orders.account()]);
  });
  afterEach(() => {
    expect(orders.takeErrorLogs()).toEqual([]);
  });
  afterAll(async () => {
    await orders?.stop();
  });

  function productCount(): Promise<number> {
    return orders.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM products').then((result) => result.rows[0]!.n);
  }

  test('when an admin upserts a new sku, then it is created; upserting it again replaces it', async () => {
    const sku = uniqueSku('NEW');
    const created = await orders.gql(
      UPSERT_PRODUCT,
      { input: { sku, name: '  Spare widget  ', priceCents: 1234, currency: 'eur', stock: 7 } },
      { token: admin.token },
    );
    expect(created.errors).toEqual([]);
    expect(created.data!.upsertProduct).toEqual({ sku, name: 'Spare widget', priceCents: 1234, currency: 'EUR', stock: 7 });
    const countAfterCreate = await productCount();

    const replaced = await orders.gql(
      UPSERT_PRODUCT,
      { input: { sku, name: 'Spare widget v2', priceCents: 999, currency: 'USD', stock: 0 } },
      { token: admin.token },
    );

    expect(replaced.data!.upsertProduct).toEqual({ sku, name: 'Spare widget v2', priceCents: 999, currency: 'USD', stock: 0 });
    expect(await productCount()).toBe(countAfterCreate);
    const read = await orders.gql(PRODUCT, { sku });
    expect(read.data!.product).toEqual({ sku, name: 'Spare widget v2', priceCents: 999, currency: 'USD', stock: 0 });
  });

  test.each([
    ['a customer', 'FORBIDDEN'],
    ['an anonymous caller', 'UNAUTHENTICATED'],
  ])('when %s upserts a product, then %s and nothing is written', async (who, code) => {
    const before = await orders.snapshot();
    const token = who === 'a customer' ? customer.token : null;

    const response = await orders.gql(
      UPSERT_PRODUCT,
      { input: { sku: 'KB-001', name: 'Free keyboard', priceCents: 0, currency: 'USD', stock: 1_000_000 } },
      { token },
    );

    expect(response.data?.upsertProduct ?? null).toBeNull();
    expect(errorCodes(response)).toEqual([code]);
    expect(await orders.snapshot()).toEqual(before);
  });

  const valid = { sku: 'VALID-1', name: 'Valid', priceCents: 100, currency: 'USD', stock: 1 };
  test.each([
    ['an empty sku', { sku: '' }, 'input.sku'],
    ['a sku with spaces', { sku: 'A B' }, 'input.sku'],
    ['a 65-character sku', { sku: 'A'.repeat(65) }, 'input.sku'],
    ['a blank name', { name: '   ' }, 'input.name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'input.name'],
    ['a name with a control character', { name: 'bell\u0007' }, 'input.name'],
    ['a negative price', { priceCents: -1 }, 'input.priceCents'],
    ['a currency that is not ISO 4217-shaped', { currency: 'DOLLARS' }, 'input.currency'],
    ['a negative stock', { stock: -5 }, 'input.stock'],
  ])('when the input has %s, then BAD_USER_INPUT names the field and nothing is written', async (_name, change, field) => {
    const before = await orders.snapshot();

    const response = await orders.gql(UPSERT_PRODUCT, { input: { ...valid, ...change } }, { token: admin.token });

    expect(response.data?.upsertProduct ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await orders.snapshot()).toEqual(before);
  });

  test('when anyone asks for a product by sku, then it is public; an unknown or malformed sku is null', async () => {
    const seeded = SEED_CATALOG[0]!;
    const known = await orders.gql(PRODUCT, { sku: seeded.sku });
    const unknown = await orders.gql(PRODUCT, { sku: 'NO-SUCH-1' });
    const malformed = await orders.gql(PRODUCT, { sku: '../../etc/passwd' });

    expect(known.errors).toEqual([]);
    expect(known.data!.product).toEqual(seeded);
    expect(unknown).toMatchObject({ data: { product: null }, errors: [] });
    expect(malformed).toMatchObject({ data: { product: null }, errors: [] });
  });

  test('when an anonymous caller pages through the whole catalog, then every product is visited once, in sku order', async () => {
    for (let i = 0; i < 7; i++) await orders.upsertProduct({ sku: uniqueSku('PAGE') });
    const { rows } = await orders.sql.query<{ sku: string }>('SELECT sku FROM products ORDER BY sku');
    const expected = rows.map((row) => row.sku);
    expect(expected.length).toBeGreaterThan(20);

    const visited: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: GraphQLTestResponse<{ products: ProductPage }> = await orders.gql(PRODUCTS, { first: 6, after });
      expect(page.errors).toEqual([]);
      const connection = page.data!.products;
      expect(connection.totalCount).toBe(expected.length);
      visited.push(...connection.edges.map((edge) => edge.node.sku));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor);
      after = connection.pageInfo.endCursor;
    }

    expect(visited).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 6));
  });

  test('when first is 0, then an empty page that says more follow', async () => {
    const response = await orders.gql(PRODUCTS, { first: 0 });
    expect(response.data!.products).toMatchObject({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  test.each([
    ['first: 101', { first: 101 }, 'first'],
    ['first: -1', { first: -1 }, 'first'],
    ['a garbage after', { after: 'not a cursor!' }, 'after'],
    ['a base64 after that is not ours', { after: Buffer.from('hello').toString('base64url') }, 'after'],
    ['an after whose key is not a sku', { after: Buffer.from('c1:../x y').toString('base64url') }, 'after'],
  ])('when products gets %s, then BAD_USER_INPUT naming it', async (_name, variables, field) => {
    const response = await orders.gql(PRODUCTS, variables);
    expect(response.data?.products ?? null).toBeNull();
    expect(response.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('seeding the demo catalog', () => {
  let orders: OrdersUnderTest;
  beforeAll(async () => {
    orders = await startOrdersUnderTest();
  });
  afterAll(async () => {
    await orders?.stop();
  });

  test('when the service starts on a fresh database, then it seeds at least 20 products; a restart seeds nothing more', async () => {
    const first = await orders.snapshot();
    expect(Object.keys(first.stock).length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(first.stock).sort()).toEqual(SEED_CATALOG.map((product) => product.sku).sort());
    const listed = await orders.gql(`{ products(first: 1) { totalCount } }`);
    expect(listed.data!.products.totalCount).toBe(SEED_CATALOG.length);

    // Changes made before the restart must survive it: a reseed would reset or duplicate them.
    const sku = SEED_CATALOG[0]!.sku;
    await orders.upsertProduct({ sku, stock: 3, priceCents: 1 });
    await orders.restart();

    const after = await orders.snapshot();
    expect(Object.keys(after.stock).sort()).toEqual(Object.keys(first.stock).sort());
    expect(after.stock[sku]).toBe(3);
    const { rows } = await orders.sql.query('SELECT price_cents FROM products WHERE sku = $1', [sku]);
    expect(rows[0].price_cents).toBe(1);
  });
});
