import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse, type EnumTypeDefinitionNode } from 'graphql';
import { loadSupergraph } from './load-supergraph';

const COMMITTED_SUPERGRAPH = path.resolve(__dirname, '../../../supergraph.graphql');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-supergraph-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The routing table as a GraphQL parser reads it: join__Graph values and their @join__graph arguments. */
function routingTable(sdl: string): Record<string, Record<string, string>> {
  const joinGraph = parse(sdl).definitions.find(
    (definition): definition is EnumTypeDefinitionNode =>
      definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  return Object.fromEntries(
    (joinGraph?.values ?? []).map((value) => {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const args = (directive?.arguments ?? []).map((arg) => [arg.name.value, arg.value.kind === Kind.STRING ? arg.value.value : '?']);
      return [value.name.value, Object.fromEntries(args)];
    }),
  );
}

function fileWith(name: string, contents: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, contents);
  return file;
}

describe('loadSupergraph', () => {
  test('when there are no overrides, then the committed routing URLs are kept and the SDL is unchanged', () => {
    const { sdl, subgraphs } = loadSupergraph(COMMITTED_SUPERGRAPH, {});

    expect(subgraphs).toEqual([
      { name: 'orders', url: 'http://localhost:4002/graphql' },
      { name: 'users', url: 'http://localhost:4001/graphql' },
    ]);
    expect(sdl).toBe(readFileSync(COMMITTED_SUPERGRAPH, 'utf8'));
  });

  test('when an override names a subgraph, then only that subgraph routes to the new URL, in the list and in the SDL', () => {
    const { sdl, subgraphs } = loadSupergraph(COMMITTED_SUPERGRAPH, { users: 'http://users.internal:8080/graphql' });

    expect(subgraphs).toEqual([
      { name: 'orders', url: 'http://localhost:4002/graphql' },
      { name: 'users', url: 'http://users.internal:8080/graphql' },
    ]);
    expect(sdl).toContain('USERS @join__graph(name: "users", url: "http://users.internal:8080/graphql")');
    expect(sdl).toContain('ORDERS @join__graph(name: "orders", url: "http://localhost:4002/graphql")');
    expect(sdl).not.toContain('http://localhost:4001/graphql');
  });

  test('when every subgraph is overridden, then the rewritten SDL still parses, routes to the new URLs verbatim and is otherwise unchanged', () => {
    const { sdl } = loadSupergraph(COMMITTED_SUPERGRAPH, {
      users: 'https://users.example.com/graphql',
      orders: 'https://orders.example.com/graphql?x=$1&y=$&',
    });

    expect(routingTable(sdl)).toEqual({
      ORDERS: { name: 'orders', url: 'https://orders.example.com/graphql?x=$1&y=$&' },
      USERS: { name: 'users', url: 'https://users.example.com/graphql' },
    });
    expect(sdl.replace(/url: "[^"]*"/g, '')).toBe(readFileSync(COMMITTED_SUPERGRAPH, 'utf8').replace(/url: "[^"]*"/g, ''));
  });

  test('when an override names a subgraph the supergraph lacks, then loading throws naming it', () => {
    expect(() =>
      loadSupergraph(COMMITTED_SUPERGRAPH, { users: 'http://u/graphql', payments: 'http://p/graphql', Users: 'http://x' }),
    ).toThrow('URL overrides name subgraphs the supergraph lacks: payments, Users');
  });

  test('when the file has no @join__graph entries, then loading throws saying it is not a supergraph', () => {
    const file = fileWith('plain.graphql', 'type Query { hello: String }\n');

    expect(() => loadSupergraph(file, {})).toThrow(`${file} is not a supergraph (no @join__graph entries)`);
  });

  test('when the file is empty, then loading throws saying it is not a supergraph', () => {
    const file = fileWith('empty.graphql', '');

    expect(() => loadSupergraph(file, {})).toThrow(/is not a supergraph/);
  });

  test('when the file does not exist, then loading throws', () => {
    expect(() => loadSupergraph(path.join(dir, 'missing.graphql'), {})).toThrow(/ENOENT/);
  });
});
