/**
 * Writes the persisted-query manifest the gateway's safelist (PERSISTED_QUERIES=safelist)
 * accepts: `npm run persisted-queries` (write), `npm run persisted-queries -- --check` (fail
 * when the committed manifest is stale, for CI).
 *
 * Source: the storefront's operations (`clients/web/src/**\/*.graphql`), as the app ships them:
 * the typed documents GraphQL Code Generator made of them (clients/web/src/graphql/generated,
 * checked against the sources by a test). Each is run through an Apollo Client with the app's
 * own cache policies (clients/web/src/app/apollo-cache.ts), whose link records the text the app would
 * send: `__typename` added, client-only parts removed. That text is the body; its SHA-256 is the
 * id, which production builds of the app send as `extensions.persistedQuery.sha256Hash` and
 * nothing else. Every body is validated against the API schema of the committed supergraph, so
 * the manifest never lists an operation the gateway would refuse.
 *
 * Output: `clients/persisted-query-manifest.json` in Apollo's persisted-query manifest format
 * (what `@apollo/generate-persisted-query-manifest` writes, and Apollo Router and GraphOS read),
 * sorted by operation name.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client';
import { Supergraph } from '@apollo/federation-internals';
import { getOperationAST, Kind, parse, print, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { of } from 'rxjs';
import { CACHE_TYPE_POLICIES } from '../clients/web/src/app/apollo-cache';
import * as generatedDocuments from '../clients/web/src/graphql/generated/graphql';
import { sha256Hex, type ManifestOperation, type PersistedQueryManifest } from '../gateway/src/edge/persisted-queries';

const REPO_ROOT = path.resolve(__dirname, '..');
export const MANIFEST_PATH = path.join(REPO_ROOT, 'clients', 'persisted-query-manifest.json');
const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'supergraph.graphql');

/** One operation of the app, as its typed document. */
export interface AppOperation {
  name: string;
  type: OperationDefinitionNode['operation'];
  document: DocumentNode;
}

/** The app's operations: every generated document that defines an operation (fragments alone are not sent). */
export function appOperations(documents: Record<string, unknown> = generatedDocuments): AppOperation[] {
  return Object.values(documents)
    .filter((value): value is DocumentNode => typeof value === 'object' && value !== null && (value as DocumentNode).kind === Kind.DOCUMENT)
    .flatMap((document) => {
      const operation = getOperationAST(document);
      return operation?.name ? [{ name: operation.name.value, type: operation.operation, document }] : [];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The text Apollo Client sends for a document (its link records it; nothing leaves the process). */
export async function textSentByApolloClient(operation: AppOperation): Promise<string> {
  let sent: string | undefined;
  const client = new ApolloClient({
    cache: new InMemoryCache({ typePolicies: CACHE_TYPE_POLICIES }),
    link: new ApolloLink((request) => {
      sent = print(request.query);
      return of({ data: null });
    }),
  });
  try {
    if (operation.type === 'query') await client.query({ query: operation.document, fetchPolicy: 'no-cache' });
    else if (operation.type === 'mutation') await client.mutate({ mutation: operation.document, fetchPolicy: 'no-cache' });
    else
      await new Promise<void>((resolve) =>
        client.subscribe({ query: operation.document }).subscribe({ complete: resolve, error: () => resolve() }),
      );
  } catch {
    // The recorded text is all that matters; the empty answer may not satisfy the document.
  } finally {
    client.stop();
  }
  if (sent === undefined) throw new Error(`Apollo Client sent nothing for ${operation.name}`);
  return sent;
}

/** Builds the manifest from the app's operations; throws listing every problem found. */
export async function buildManifest(operations = appOperations(), supergraphPath = SUPERGRAPH_PATH): Promise<PersistedQueryManifest> {
  const schema = Supergraph.build(readFileSync(supergraphPath, 'utf8')).apiSchema().toGraphQLJSSchema();
  const problems: string[] = [];
  const names = new Set<string>();
  const entries: ManifestOperation[] = [];
  for (const operation of operations) {
    if (names.has(operation.name)) problems.push(`operation name ${operation.name} is used twice`);
    names.add(operation.name);
    const body = await textSentByApolloClient(operation);
    for (const error of validate(schema, parse(body))) problems.push(`${operation.name}: ${error.message}`);
    entries.push({ id: sha256Hex(body), name: operation.name, type: operation.type, body });
  }
  if (problems.length > 0) throw new Error(`the app's operations are not valid against the supergraph:\n  - ${problems.join('\n  - ')}`);
  return { format: 'apollo-persisted-query-manifest', version: 1, operations: entries };
}

export function serializeManifest(manifest: PersistedQueryManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

async function main(): Promise<void> {
  const expected = serializeManifest(await buildManifest());
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
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
