/**
 * `npm run compose`: composes the subgraph SDL files named in rover.yaml into
 * supergraph.graphql, exactly as `rover supergraph compose --config rover.yaml` does (same
 * library, @apollo/composition, pinned to rover.yaml's federation_version).
 * `npm run compose -- --check` writes nothing and fails when the committed file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import YAML from 'yaml';
import { REPO_ROOT } from './lib/subgraph-databases';

export const ROVER_CONFIG = path.join(REPO_ROOT, 'rover.yaml');
export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'supergraph.graphql');

interface RoverConfig {
  federation_version: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

export interface CompositionOutcome {
  supergraphSdl?: string;
  errors: string[];
  hints: string[];
}

/** Composes the subgraphs rover.yaml lists (no side effects). */
export function composeFromRoverConfig(configPath = ROVER_CONFIG): CompositionOutcome {
  const config = YAML.parse(readFileSync(configPath, 'utf8')) as RoverConfig;
  const services = Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    typeDefs: parse(readFileSync(path.resolve(path.dirname(configPath), subgraph.schema.file), 'utf8')),
  }));
  const result = composeServices(services);
  const hints = (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);
  if (result.errors) return { errors: result.errors.map((error) => error.message), hints };
  return { supergraphSdl: result.supergraphSdl, errors: [], hints };
}

/**
 * Hints that are expected and say nothing wrong. Every subgraph declares Apollo's
 * `CacheControlScope` enum for its `@cacheControl` hints (README, Response cache); it is used
 * only in directive arguments, which composition does not count as a use.
 */
const EXPECTED_HINTS = [/^UNUSED_ENUM_TYPE: Enum type "CacheControlScope" is defined but unused/];

function main(): void {
  const check = process.argv.includes('--check');
  const outcome = composeFromRoverConfig();
  for (const hint of outcome.hints) if (!EXPECTED_HINTS.some((expected) => expected.test(hint))) console.warn(`hint: ${hint}`);
  if (!outcome.supergraphSdl) {
    for (const error of outcome.errors) console.error(`error: ${error}`);
    console.error(`composition failed with ${outcome.errors.length} error(s)`);
    process.exit(1);
  }
  const relative = path.relative(process.cwd(), SUPERGRAPH_PATH);
  if (check) {
    let committed = '';
    try {
      committed = readFileSync(SUPERGRAPH_PATH, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed !== outcome.supergraphSdl) {
      console.error(`${relative} is stale: run \`npm run compose\` and commit the result`);
      process.exit(1);
    }
    console.log(`${relative} is up to date`);
    return;
  }
  writeFileSync(SUPERGRAPH_PATH, outcome.supergraphSdl);
  console.log(`wrote ${relative}`);
}

if (require.main === module) main();
