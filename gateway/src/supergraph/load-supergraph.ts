import { readFileSync } from 'node:fs';

export interface SupergraphSubgraph {
  name: string;
  url: string;
}

/**
 * Reads the composed supergraph and applies routing URL overrides (USERS_URL, ORDERS_URL):
 * the committed file carries development URLs; deployments point the gateway elsewhere
 * without recomposing.
 */
export function loadSupergraph(path: string, overrides: Record<string, string>): { sdl: string; subgraphs: SupergraphSubgraph[] } {
  const original = readFileSync(path, 'utf8');
  const subgraphs: SupergraphSubgraph[] = [];
  const sdl = original.replace(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g, (_match, name: string, url: string) => {
    const routed = overrides[name] ?? url;
    subgraphs.push({ name, url: routed });
    return `@join__graph(name: "${name}", url: "${routed}")`;
  });
  if (subgraphs.length === 0) throw new Error(`${path} is not a supergraph (no @join__graph entries)`);
  const unknown = Object.keys(overrides).filter((name) => !subgraphs.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`URL overrides name subgraphs the supergraph lacks: ${unknown.join(', ')}`);
  return { sdl, subgraphs };
}
