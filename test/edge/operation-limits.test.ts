import { readMetric, startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';
import { codes, postGraphQL, send, subgraphCalls } from './support/edge-http';

/** `{ me { orders { edges { node { user { orders … } } } } } }`, exactly `levels` fields deep. */
function nested(levels: number): string {
  const cycle = ['orders', 'edges', 'node', 'user'];
  const leafOf: Record<string, string> = { me: 'id', user: 'id', orders: 'totalCount', edges: 'cursor', node: 'id' };
  const fields = ['me'];
  while (fields.length < levels - 1) fields.push(cycle[(fields.length - 1) % 4]!);
  return `{ ${fields.reduceRight((inner, field) => `${field} { ${inner} }`, leafOf[fields.at(-1)!]!)} }`;
}

const FAN_OUT = `
  query AdminFanOut($first: Int!) {
    users(first: $first) {
      edges { node { name orders(first: 5) { totalCount edges { node { totalCents items { quantity product { name priceCents } } } } } } }
    }
  }`;

describe('operation limits at the gateway (defaults), checked before planning', () => {
  let platform: TestPlatform;
  let graphqlUrl: string;
  let adminToken: string;
  beforeAll(async () => {
    platform = await startTestPlatform();
    graphqlUrl = `${platform.gatewayUrl}/graphql`;
    adminToken = (await platform.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: TEST_ADMIN })).data!
      .signIn.token;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const refusals: [string, () => { query: string; variables?: Record<string, unknown> }, string, Record<string, unknown>][] = [
    ['51 levels deep', () => ({ query: nested(51) }), 'OPERATION_TOO_DEEP', { limit: 10, found: 51 }],
    [
      '16 aliases',
      () => ({ query: `{ me { ${Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ')} } }` }),
      'OPERATION_TOO_MANY_ALIASES',
      { limit: 15, found: 16 },
    ],
    [
      '11 root fields',
      () => ({
        query: `{ me { id } products { totalCount } ${Array.from({ length: 9 }, (_, i) => `p${i}: product(sku: "S${i}") { sku }`).join(' ')} }`,
      }),
      'OPERATION_TOO_MANY_ROOT_FIELDS',
      { limit: 10, found: 11 },
    ],
    [
      'a fan-out whose page sizes multiply past the cost limit (variables count)',
      () => ({ query: FAN_OUT, variables: { first: 100 } }),
      'OPERATION_TOO_COSTLY',
      { limit: 10_000, cost: 1 + 100 * (3 + 5 * (2 + 10 * 2)) },
    ],
    [
      'five aliased pages of 100 orders with their items',
      () => ({
        query: `{ ${Array.from({ length: 5 }, (_, i) => `m${i}: me { orders(first: 100) { edges { node { items { product { sku } } } } } }`).join(' ')} }`,
      }),
      'OPERATION_TOO_COSTLY',
      { limit: 10_000, cost: 5 * (1 + 1 + 100 * (1 + 1 + 10 * 2)) },
    ],
    ['1 001 tokens', () => ({ query: `{ ${'__typename '.repeat(999)}}` }), 'OPERATION_TOO_LARGE', { limit: 1_000, measure: 'tokens' }],
    [
      'a 40 KiB document',
      () => ({ query: `{ product(sku: "${'x'.repeat(40 * 1024)}") { sku } }` }),
      'OPERATION_TOO_LARGE',
      { limit: 32 * 1024, measure: 'bytes' },
    ],
  ];

  test.each(refusals.map(([label, request, code, details]) => ({ label, request, code, details })))(
    'when an operation has $label, then HTTP 400 $code with the limit, and no subgraph is called',
    async ({ request, code, details }) => {
      const before = await subgraphCalls(platform);

      const response = await postGraphQL(graphqlUrl, request(), { authorization: `Bearer ${adminToken}` });

      expect(response.status).toBe(400);
      expect(codes(response)).toEqual([code]);
      expect(response.body.errors[0].extensions).toEqual({ code, ...details });
      expect(response.body.data).toBeUndefined();
      expect(await subgraphCalls(platform)).toBe(before);
    },
  );

  test('when an admin runs the deepest real query (depth 9, 50 users × 5 orders), then it is within every limit', async () => {
    const response = await postGraphQL(graphqlUrl, { query: FAN_OUT, variables: { first: 50 } }, { authorization: `Bearer ${adminToken}` });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });

  test('when the same operation is sent again with a larger page, then the cost is checked again (the validated document is cached, the cost is not)', async () => {
    const small = await postGraphQL(graphqlUrl, { query: FAN_OUT, variables: { first: 10 } }, { authorization: `Bearer ${adminToken}` });
    const large = await postGraphQL(graphqlUrl, { query: FAN_OUT, variables: { first: 100 } }, { authorization: `Bearer ${adminToken}` });
    expect(small.status).toBe(200);
    expect(codes(large)).toEqual(['OPERATION_TOO_COSTLY']);
  });

  test('when a GET carries an oversized query, then it is refused the same way', async () => {
    const query = encodeURIComponent(nested(20));
    const response = await send(`${graphqlUrl}?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['OPERATION_TOO_DEEP']);
  });

  test('when operations are refused, then /metrics counts them by code', async () => {
    expect(
      await readMetric(platform.gatewayUrl, 'gateway_rejected_operations_total', { code: 'OPERATION_TOO_DEEP' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await readMetric(platform.gatewayUrl, 'gateway_rejected_operations_total', { code: 'OPERATION_TOO_COSTLY' }),
    ).toBeGreaterThanOrEqual(3);
  });
});
