/**
 * Contract: each subgraph's committed schema.graphql is what its running service tells the
 * gateway and rover (`{ _service { sdl } }`), so composing the committed files composes what
 * actually runs. The services start as `npm start` starts them, on fresh databases.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, visit, type DocumentNode } from 'graphql';
import { captureLogger, createTestDatabase, freePort, type TestDatabase } from '@fedshop/shared/testing';
import { REPO_ROOT } from '../../scripts/lib/subgraph-databases';
import { loadConfig as loadOrdersConfig, startOrdersService } from '../../subgraphs/orders/src';
import { loadConfig as loadUsersConfig, startUsersService } from '../../subgraphs/users/src';
import { tempDir } from './support/run-process';

/**
 * What `_service.sdl` adds to the committed file, all of it federation's own: the `schema`
 * definition with its link/v1.0 `@link`, the definitions of `@link` and of the federation
 * directives (imported ones under their imported names, the rest as `federation__*`), the
 * `link__*`, `federation__*`, `_Any`, `_Service` and `_Entity` types, and `Query._entities` /
 * `Query._service`. Anything else the service adds or drops stays and fails the comparison.
 */
function withoutFederationAdditions(served: DocumentNode, imported: Set<string>): DocumentNode {
  const federationOwned = (name: string) => /^(_|link__|federation__)/.test(name);
  const definitions = served.definitions
    .filter((definition) => {
      if (definition.kind === Kind.SCHEMA_DEFINITION) {
        return !(definition.directives ?? []).some((directive) => directive.name.value === 'link');
      }
      if (definition.kind === Kind.DIRECTIVE_DEFINITION) {
        const name = definition.name.value;
        return !(name === 'link' || name.startsWith('federation__') || imported.has(name));
      }
      return !('name' in definition && definition.name && federationOwned(definition.name.value));
    })
    .map((definition) =>
      definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === 'Query'
        ? { ...definition, fields: definition.fields?.filter((field) => !['_entities', '_service'].includes(field.name.value)) }
        : definition,
    );
  return { ...served, definitions };
}

/** Directive names the committed file imports through its federation `@link(import: [...])`. */
function importedDirectives(committed: DocumentNode): Set<string> {
  const names = new Set<string>();
  visit(committed, {
    Directive(directive) {
      if (directive.name.value !== 'link') return;
      const imports = directive.arguments?.find((argument) => argument.name.value === 'import')?.value;
      if (imports?.kind !== Kind.LIST) return;
      for (const value of imports.values) {
        if (value.kind === Kind.STRING) names.add(value.value.replace(/^@/, ''));
      }
    },
  });
  return names;
}

/**
 * `_service.sdl` is printed by the federation library (one-line descriptions, blank lines
 * between fields, its own definitions added), while schema.graphql is hand-formatted; both are
 * parsed and printed by the same printer so only the content is compared: every definition,
 * field, argument, default, directive and description, in order.
 */
function canonical(document: DocumentNode): string {
  return print(document)
    .replace(/[ \t]+$/gm, '')
    .trimEnd();
}

async function fetchServiceSdl(httpUrl: string): Promise<string> {
  const response = await fetch(`${httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.json()) as { data?: { _service: { sdl: string } }; errors?: unknown[] };
  expect({ status: response.status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  return body.data!._service.sdl;
}

/** Both sides in canonical form, the served one without federation's additions. */
function comparable(servedSdl: string, committedSdl: string): { served: string; committed: string } {
  const committed = parse(committedSdl);
  return {
    served: canonical(withoutFederationAdditions(parse(servedSdl), importedDirectives(committed))),
    committed: canonical(committed),
  };
}

const committedSdl = (name: string) => readFileSync(path.join(REPO_ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8');
const common = { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0' };

describe('subgraph SDL served at runtime', () => {
  let database: TestDatabase | undefined;
  let stop: (() => Promise<void>) | undefined;
  const dataDir = tempDir('users-data');

  afterEach(async () => {
    await stop?.();
    await database?.drop();
    stop = undefined;
    database = undefined;
  });
  afterAll(() => dataDir.remove());

  test('when the users service runs, then its _service.sdl has exactly the content of subgraphs/users/schema.graphql', async () => {
    database = await createTestDatabase('contract_users_sdl');
    const [grpcPort, unusedOrdersPort] = await Promise.all([freePort(), freePort()]);
    const users = await startUsersService(
      loadUsersConfig({
        ...common,
        GRPC_PORT: String(grpcPort),
        DATABASE_URL: database.url,
        DATA_DIR: dataDir.dir,
        ORDER_SERVICE_ADDR: `127.0.0.1:${unusedOrdersPort}`,
        SCRYPT_COST: '1024',
      }),
      { logger: captureLogger('users').logger },
    );
    stop = () => users.stop();

    const served = await fetchServiceSdl(users.httpUrl);

    const { served: servedContent, committed } = comparable(served, committedSdl('users'));
    expect(servedContent).toBe(committed);
    // The canonical form keeps content: one changed description is still a difference.
    const tampered = served.replace('The account works normally.', 'The account works.');
    expect(tampered).not.toBe(served);
    expect(comparable(tampered, committedSdl('users')).served).not.toBe(committed);
  });

  test('when the orders service runs, then its _service.sdl has exactly the content of subgraphs/orders/schema.graphql', async () => {
    database = await createTestDatabase('contract_orders_sdl');
    const [grpcPort, unusedUsersPort] = await Promise.all([freePort(), freePort()]);
    const orders = await startOrdersService(
      loadOrdersConfig({
        ...common,
        GRPC_PORT: String(grpcPort),
        DATABASE_URL: database.url,
        USER_SERVICE_ADDR: `127.0.0.1:${unusedUsersPort}`,
        // `_service` needs no token, so the key set is never fetched.
        JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
        SEED_CATALOG: 'false',
      }),
      { logger: captureLogger('orders').logger },
    );
    stop = () => orders.stop();

    const served = await fetchServiceSdl(orders.httpUrl);

    const { served: servedContent, committed } = comparable(served, committedSdl('orders'));
    expect(servedContent).toBe(committed);
  });
});
