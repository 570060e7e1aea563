/**
 * Writes the persisted-query manifest the gateway's safelist (PERSISTED_QUERIES=safelist)
 * accepts: `npm run persisted-queries` (write), `npm run persisted-queries -- --check` (fail
 * when the committed manifest is stale, for CI).
 *
 * Input: every `clients/operations/*.graphql` (named operations; fragments may live in any of
 * the files), validated against the API schema of the committed supergraph, so a manifest never
 * lists an operation the gateway would refuse. Output: `clients/persisted-query-manifest.json` in
 * Apollo's persisted-query manifest format (what `@apollo/generate-persisted-query-manifest`
 * writes, and Apollo Router and GraphOS read): one entry per operation, its body the operation
 * followed by the fragments it uses (sorted), printed by graphql-js; its id the body's SHA-256,
 * which is what clients send as `extensions.persistedQuery.sha256Hash`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  Kind,
  parse,
  print,
  validate,
  visit,
  type DefinitionNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import { sha256Hex, type PersistedQueryManifest } from '../gateway/src/edge/persisted-queries';

const REPO_ROOT = path.resolve(__dirname, '..');
export const OPERATIONS_DIR = path.join(REPO_ROOT, 'clients', 'operations');
export const MANIFEST_PATH = path.join(REPO_ROOT, 'clients', 'persisted-query-manifest.json');
const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'supergraph.graphql');

function fragmentsUsedBy(definition: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>, found = new Set<string>()): Set<string> {
  visit(definition, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      const fragment = fragments.get(name);
      if (found.has(name) || !fragment) return;
      found.add(name);
      fragmentsUsedBy(fragment, fragments, found);
    },
  });
  return found;
}

/** Builds the manifest from the operation files; throws listing every problem found. */
export function buildManifest(operationsDir = OPERATIONS_DIR, supergraphPath = SUPERGRAPH_PATH): PersistedQueryManifest {
  const files = readdirSync(operationsDir)
    .filter((file) => file.endsWith('.graphql'))
    .sort();
  const definitions: DefinitionNode[] = files.flatMap((file) => parse(readFileSync(path.join(operationsDir, file), 'utf8')).definitions);
  const schema = Supergraph.build(readFileSync(supergraphPath, 'utf8')).apiSchema().toGraphQLJSSchema();
  const problems = validate(schema, { kind: Kind.DOCUMENT, definitions }).map((error) => error.message);
  const operations = definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const names = new Set<string>();
  for (const operation of operations) {
    const name = operation.name?.value;
    if (!name) problems.push(`every operation needs a name: ${print(operation).slice(0, 60)}…`);
    else if (names.has(name)) problems.push(`operation name ${name} is used twice`);
    else names.add(name);
  }
  if (problems.length > 0) throw new Error(`clients/operations is not valid against the supergraph:\n  - ${problems.join('\n  - ')}`);
  const fragments = new Map(
    definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
  );
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: operations
      .map((operation) => {
        const used = [...fragmentsUsedBy(operation, fragments)].sort().map((name) => fragments.get(name)!);
        const body = [operation, ...used].map((definition) => print(definition)).join('\n\n');
        return { id: sha256Hex(body), name: operation.name!.value, type: operation.operation, body };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function serializeManifest(manifest: PersistedQueryManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

if (require.main === module) {
  try {
    const expected = serializeManifest(buildManifest());
    const relative = path.relative(process.cwd(), MANIFEST_PATH);
    if (process.argv.includes('--check')) {
      const committed = existsSync(MANIFEST_PATH) ? readFileSync(MANIFEST_PATH, 'utf8') : '';
      if (committed !== expected) {
        console.error(`${relative} is stale: run npm run persisted-queries and commit it.`);
        process.exit(1);
      }
      console.log(`${relative} is up to date.`);
    } else {
      writeFileSync(MANIFEST_PATH, expected);
      console.log(`wrote ${relative} (${JSON.parse(expected).operations.length} operations)`);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
