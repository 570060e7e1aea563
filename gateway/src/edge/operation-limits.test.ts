import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { AppError } from '@fedshop/shared/errors';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { checkDocumentSize, operationCost, operationLimitRules, type OperationLimits } from './operation-limits';

const LIMITS: OperationLimits = {
  maxBytes: 32 * 1024,
  maxTokens: 1_000,
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 10,
  maxCost: 10_000,
  assumedListSize: 10,
};

/** The API schema clients see: the committed supergraph, as the gateway serves it. */
const schema: GraphQLSchema = Supergraph.build(readFileSync(path.resolve(__dirname, '../../../supergraph.graphql'), 'utf8'))
  .apiSchema()
  .toGraphQLJSSchema();

const FAN_OUT = `
  query AdminFanOut($first: Int!) {
    users(first: $first) {
      edges { node { name orders(first: 5) { totalCount edges { node { totalCents items { quantity product { name priceCents } } } } } } }
    }
  }`;

function rejections(query: string) {
  return validate(schema, parse(query), [...specifiedRules, ...operationLimitRules(LIMITS)]).map((error) => {
    const original = error.originalError;
    return original instanceof AppError
      ? { code: original.code, ...original.details }
      : { code: 'GRAPHQL_VALIDATION_FAILED', message: error.message };
  });
}

function costOf(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return operationCost(schema, document, getOperationAST(document)!, variables, LIMITS.assumedListSize);
}

/** `{ me { orders { edges { node { user { orders … id } } } } } }`, exactly `levels` fields deep. */
function nested(levels: number): string {
  const cycle = ['orders', 'edges', 'node', 'user'];
  const leafOf: Record<string, string> = { me: 'id', user: 'id', orders: 'totalCount', edges: 'cursor', node: 'id' };
  const fields = ['me'];
  while (fields.length < levels - 1) fields.push(cycle[(fields.length - 1) % 4]!);
  return fields.reduceRight((inner, field) => `${field} { ${inner} }`, leafOf[fields.at(-1)!]!).replace(/^/, '{ ') + ' }';
}

describe('operation limit rules (validation)', () => {
  test("when an admin's deepest real query runs (users → orders → items → product, depth 9), then it passes", () => {
    expect(rejections(FAN_OUT)).toEqual([]);
  });

  test('when an operation is 11 levels deep, then OPERATION_TOO_DEEP with the limit and the depth found', () => {
    expect(rejections(nested(11))).toEqual([expect.objectContaining({ code: 'OPERATION_TOO_DEEP', limit: 10, found: 11 })]);
    expect(rejections(nested(10))).toEqual([]);
  });

  test('when the depth hides in fragments, then it is counted as executed (fragments flattened)', () => {
    const query = `{ me { ...A } } fragment A on User { orders { edges { node { ...B } } } } fragment B on Order { user { orders { edges { node { user { orders { totalCount } } } } } } }`;
    expect(rejections(query)).toEqual([expect.objectContaining({ code: 'OPERATION_TOO_DEEP', found: 11 })]);
  });

  test('when an operation has 16 aliases, then OPERATION_TOO_MANY_ALIASES with the limit', () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect(rejections(query)).toContainEqual(expect.objectContaining({ code: 'OPERATION_TOO_MANY_ALIASES', limit: 15, found: 16 }));
  });

  test('when an operation selects 11 root fields, then OPERATION_TOO_MANY_ROOT_FIELDS; __typename is free', () => {
    const fields = Array.from({ length: 11 }, (_, i) => `f${i}: product(sku: "S${i}") { sku }`).join(' ');
    const limits = { ...LIMITS, maxAliases: 100 };
    const found = validate(schema, parse(`{ ${fields} }`), [...specifiedRules, ...operationLimitRules(limits)]).map(
      (error) => (error.originalError as AppError).details,
    );
    expect(found).toEqual([{ limit: 10, found: 11 }]);
    expect(rejections('{ __typename me { id } products { totalCount } }')).toEqual([]);
  });

  test('when fragments spread each other in a cycle, then graphql-js refuses the cycle and no rule loops', () => {
    const found = rejections('{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((error) => error.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
  });
});

describe('operationCost', () => {
  test('when a connection is paged with first, then its edges are multiplied by it (variables and nesting included)', () => {
    // users 1 + 50 × (edge 1 + node 1 + orders 1 + 5 × (edge 1 + node 1 + items 10 × (item 1 + product 1)))
    expect(costOf(FAN_OUT, { first: 50 })).toBe(1 + 50 * (1 + 1 + 1 + 5 * (1 + 1 + 10 * 2)));
    expect(costOf(FAN_OUT, { first: 100 })).toBeGreaterThan(LIMITS.maxCost);
  });

  test('when first is a literal, or left to its schema default (20), then that size is used', () => {
    expect(costOf('{ products(first: 100) { edges { node { sku } } } }')).toBe(1 + 100 * 2);
    expect(costOf('{ products { edges { node { sku } } } }')).toBe(1 + 20 * 2);
  });

  test('when scalars only are read, then they cost nothing; objects cost 1', () => {
    expect(costOf('{ me { id name email } }')).toBe(1);
    expect(costOf('{ __typename }')).toBe(0);
  });

  test('when a list has no first argument, then its assumed size is used', () => {
    expect(costOf('query($id: ID!) { order(id: $id) { items { product { sku } } } }')).toBe(1 + 10 * 2);
  });

  test('when mutations are selected, then each root field costs 10 more', () => {
    expect(
      costOf(
        'mutation { a: signIn(input: { email: "a", password: "b" }) { token } b: signIn(input: { email: "a", password: "b" }) { token } }',
      ),
    ).toBe(2 * (1 + 10));
  });

  test('when fragments are spread, then their cost counts as if inlined', () => {
    const inline = costOf('{ products(first: 30) { edges { node { sku name } } } }');
    const spread = costOf(
      '{ products(first: 30) { ...P } } fragment P on ProductConnection { edges { node { ...N } } } fragment N on Product { sku name }',
    );
    expect(spread).toBe(inline);
  });
});

describe('checkDocumentSize', () => {
  const codeOf = (query: string) => {
    try {
      checkDocumentSize(query, { maxBytes: 100, maxTokens: 10 });
      return undefined;
    } catch (error) {
      return ((error as GraphQLError).originalError as AppError).details;
    }
  };

  test('when the document is within both limits, then it passes', () => {
    expect(codeOf('{ me { id } }')).toBeUndefined();
  });

  test('when the document has more bytes than allowed, then OPERATION_TOO_LARGE in bytes', () => {
    expect(codeOf(`{ product(sku: "${'x'.repeat(200)}") { sku } }`)).toEqual({ limit: 100, measure: 'bytes' });
  });

  test('when the document has more tokens than allowed, then OPERATION_TOO_LARGE in tokens', () => {
    expect(codeOf('{ a b c d e f g h i j k }')).toEqual({ limit: 10, measure: 'tokens' });
  });

  test('when the document is not even lexically valid, then the parser is left to say so', () => {
    expect(codeOf('{ me { id } } "unterminated')).toBeUndefined();
  });
});
