/**
 * Contract: a subgraph schema change must not break the storefront's operations. The supergraph
 * is composed from each subgraph's current schema.graphql (as `npm run compose` would) and every
 * operation of clients/web is checked against it: the offline equivalent of checking a schema
 * change against real client traffic. A failure names the operation and the field. The
 * breaking-change allow-list (graphql-breaking-changes.allow) plays no part: a change that
 * breaks the shop is fixed in the shop (or not made), not waved through.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeFromRoverConfig, SUPERGRAPH_PATH } from '../../scripts/compose';
import { REPO_ROOT } from '../../scripts/lib/subgraph-databases';
import { readAllowedBreakingChanges, unapprovedBreakingChanges } from '../delivery/support/contract-base';
import { apiSchemaOf, appOperations, breakingUsages } from './support/app-operation-usage';
import { tempDir } from './support/run-process';

const WEB_SRC = path.join(REPO_ROOT, 'clients/web/src');
const operations = appOperations(WEB_SRC);
const written = apiSchemaOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));

/** Composes rover.yaml's subgraphs with one schema file edited, in a copy of the repo's inputs. */
function composeWith(subgraph: 'users' | 'orders', edit: (sdl: string) => string, allow?: string) {
  const temp = tempDir('app-operations');
  try {
    for (const file of ['rover.yaml', 'subgraphs/users/schema.graphql', 'subgraphs/orders/schema.graphql']) {
      mkdirSync(path.dirname(path.join(temp.dir, file)), { recursive: true });
      copyFileSync(path.join(REPO_ROOT, file), path.join(temp.dir, file));
    }
    const file = path.join(temp.dir, `subgraphs/${subgraph}/schema.graphql`);
    const before = readFileSync(file, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    if (allow !== undefined) writeFileSync(path.join(temp.dir, 'graphql-breaking-changes.allow'), allow);
    const outcome = composeFromRoverConfig(path.join(temp.dir, 'rover.yaml'));
    expect(outcome.errors).toEqual([]);
    return { supergraph: outcome.supergraphSdl!, before, after, allowed: readAllowedBreakingChanges(temp.dir) };
  } finally {
    temp.remove();
  }
}

describe('the storefront’s operations against the subgraphs’ current schemas', () => {
  test('when the app is read, then every operation it sends is found (and so checked)', () => {
    expect(operations.map((operation) => operation.name).sort()).toEqual(
      [
        'CancelOrder',
        'Me',
        'MyLoyalty',
        'MyOrders',
        'OrdersToShip',
        'PlaceOrder',
        'Product',
        'Products',
        'RefreshSession',
        'ShipOrder',
        'SignIn',
        'SignOut',
        'SignUp',
        'UpdateProfile',
        'UpsertProduct',
      ].sort(),
    );
  });

  test('when the subgraphs’ schema.graphql files are composed now, then no operation of the app breaks', () => {
    const outcome = composeFromRoverConfig();
    expect(outcome.errors).toEqual([]);

    expect(breakingUsages(operations, written, apiSchemaOf(outcome.supergraphSdl!))).toEqual([]);
  });

  test('when a field the app reads is removed and the change is on the allow-list, then the check still fails, naming operation and field', async () => {
    const change = composeWith(
      'orders',
      (sdl) => sdl.replace(/\n\s*"""\n\s*Units in stock right now\.\n\s*"""\n\s*stock: Int!/, ''),
      "orders: Field 'stock' was removed from object type 'Product'\n",
    );

    // The schema-diff gate is satisfied by the allow-list entry…
    await expect(unapprovedBreakingChanges('orders', change.before, change.after, change.allowed)).resolves.toEqual([]);
    // …the usage check is not: it never reads that file.
    const problems = breakingUsages(operations, written, apiSchemaOf(change.supergraph));
    expect(problems).toEqual(
      expect.arrayContaining([
        'Products: Cannot query field "stock" on type "Product".',
        'Product: Cannot query field "stock" on type "Product".',
        'UpsertProduct: Cannot query field "stock" on type "Product".',
      ]),
    );
  });

  test('when a field the app reads becomes nullable or changes type, then the operations reading it are named', () => {
    const nullable = composeWith('users', (sdl) => sdl.replace('  tier: CustomerTier!', '  tier: CustomerTier'));
    expect(breakingUsages(operations, written, apiSchemaOf(nullable.supergraph))).toEqual(
      expect.arrayContaining([
        'MyLoyalty: field User.tier changed type from CustomerTier! to CustomerTier (it may now be null)',
        'SignIn: field User.tier changed type from CustomerTier! to CustomerTier (it may now be null)',
      ]),
    );

    const retyped = composeWith('orders', (sdl) => sdl.replace('  totalCents: Int!', '  totalCents: String!'));
    expect(breakingUsages(operations, written, apiSchemaOf(retyped.supergraph))).toEqual(
      expect.arrayContaining([
        'MyOrders: field Order.totalCents changed type from Int! to String!',
        'OrdersToShip: field Order.totalCents changed type from Int! to String!',
      ]),
    );
  });

  test('when an argument the app passes becomes required or an input field it sends disappears, then those operations are named', () => {
    const change = composeWith('orders', (sdl) =>
      sdl.replace('products(first: Int = 20, after: String)', 'products(first: Int = 20, after: String, category: String!)'),
    );
    expect(breakingUsages(operations, written, apiSchemaOf(change.supergraph))).toEqual([
      'Products: Field "products" argument "category" of type "String!" is required, but it was not provided.',
    ]);
    const input = composeWith('orders', (sdl) => sdl.replace('  idempotencyKey: String!', '  channel: String!'));
    expect(breakingUsages(operations, written, apiSchemaOf(input.supergraph))).toEqual([
      'PlaceOrder: input field PlaceOrderInput.idempotencyKey, which the app may send, was removed',
      'PlaceOrder: input field PlaceOrderInput.channel is new and required; the app does not send it',
    ]);
  });

  test('when the schema only grows (a new field, a new type), then nothing breaks', () => {
    const change = composeWith('orders', (sdl) =>
      sdl.replace('  stock: Int!\n', '  stock: Int!\n  """\n  Shelf position.\n  """\n  shelf: String\n'),
    );
    expect(breakingUsages(operations, written, apiSchemaOf(change.supergraph))).toEqual([]);
  });
});
