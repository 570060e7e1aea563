import { readFileSync } from 'node:fs';
import path from 'node:path';
import { withSubgraphUrls } from './peer-gateway-env';

const SUPERGRAPH = readFileSync(path.resolve(__dirname, '../../supergraph.graphql'), 'utf8');

describe('withSubgraphUrls', () => {
  test('when the committed supergraph is pointed at running subgraphs, then only their routing URLs change', () => {
    const sdl = withSubgraphUrls(SUPERGRAPH, { users: 'http://127.0.0.1:1111/graphql', orders: 'http://127.0.0.1:2222/graphql' });
    expect(sdl).toContain('@join__graph(name: "users", url: "http://127.0.0.1:1111/graphql")');
    expect(sdl).toContain('@join__graph(name: "orders", url: "http://127.0.0.1:2222/graphql")');
    expect(sdl.replace(/url: "[^"]*"/g, '')).toBe(SUPERGRAPH.replace(/url: "[^"]*"/g, ''));
  });

  test('when a subgraph is not in the supergraph, then it says so', () => {
    expect(() => withSubgraphUrls(SUPERGRAPH, { payments: 'http://x' })).toThrow('subgraph "payments" is not in the supergraph');
  });
});
