/**
 * `npm run docs:config`: writes docs/configuration.md from the services' config schemas (each
 * service's `src/config.ts`: `envSchema`, and `envDescriptions` beside it), so the table of
 * variables cannot drift from what the services read. `npm run docs:config -- --check` writes
 * nothing and fails when the committed file is stale (test/tooling/configuration-docs.test.ts
 * checks the same in `npm test`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '@fedshop/shared/config';
import * as gatewayConfig from '../gateway/src/config';
import * as ordersConfig from '../subgraphs/orders/src/config';
import * as usersConfig from '../subgraphs/users/src/config';
import { REPO_ROOT } from './lib/subgraph-databases';

export const CONFIGURATION_DOC = path.join(REPO_ROOT, 'docs', 'configuration.md');

type Env = Record<string, string | undefined>;

/** What the generator needs of a service: its schema, one description per variable, its loader. */
export interface ServiceEnvironment {
  name: string;
  schema: z.ZodObject;
  descriptions: Record<string, string>;
  loadConfig: (source: Env) => unknown;
}

export const SERVICE_ENVIRONMENTS: ServiceEnvironment[] = [
  { name: 'gateway', schema: gatewayConfig.envSchema, descriptions: gatewayConfig.envDescriptions, loadConfig: gatewayConfig.loadConfig },
  { name: 'users', schema: usersConfig.envSchema, descriptions: usersConfig.envDescriptions, loadConfig: usersConfig.loadConfig },
  { name: 'orders', schema: ordersConfig.envSchema, descriptions: ordersConfig.envDescriptions, loadConfig: ordersConfig.loadConfig },
];

/** One variable as one service reads it. */
export interface VariableFacts {
  name: string;
  service: string;
  /** What a value must look like, from the schema. */
  accepts: string;
  /** The value used when the variable is unset, as the schema gives it; undefined: none. */
  defaultValue?: string;
  requiredInProduction: boolean;
  description: string;
}

/** The zod internals the generator reads (zod 4 keeps each schema's definition under `_zod.def`). */
interface ZodDef {
  type: string;
  innerType?: ZodLike;
  in?: ZodLike;
  entries?: Record<string, string>;
  checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean; format?: string; pattern?: RegExp } } }[];
  format?: string;
  pattern?: RegExp;
}
interface ZodLike {
  _zod: { def: ZodDef };
}

const BOOLEAN_WORDS = ['true', 'false', '1', '0', 'yes', 'no'];

/** `integer ≥ 1`, `integer 0–65535`, `number 0–1` from a number schema's checks. */
function describeNumber(def: ZodDef): string {
  let integer = false;
  let min: string | undefined;
  let max: string | undefined;
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32')) integer = true;
    if (c.check === 'greater_than') min = c.inclusive ? String(c.value) : `> ${c.value}`;
    if (c.check === 'less_than') max = c.inclusive ? String(c.value) : `< ${c.value}`;
  }
  const kind = integer ? 'integer' : 'number';
  if (min === '> 0' && integer) min = '1';
  if (min !== undefined && max !== undefined) return `${kind} ${min}–${max}`;
  if (min !== undefined) return min.startsWith('>') ? `${kind} ${min}` : `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

/** `URL`, `text matching ^…`, or `text`, from a string schema. */
function describeString(def: ZodDef): string {
  if (def.format === 'url') return 'URL';
  const regex =
    def.format === 'regex' ? def.pattern : def.checks?.map((check) => check._zod.def).find((c) => c.format === 'regex')?.pattern;
  if (regex) return `text matching \`${regex.source}\``;
  return 'text';
}

/** What a value of this variable must look like, read from the schema itself. */
export function describeAccepted(schema: ZodLike): string {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
      return describeAccepted(def.innerType!);
    case 'pipe': {
      const input = def.in!;
      const inner = input._zod.def.type === 'optional' ? input._zod.def.innerType! : input;
      const values = inner._zod.def.type === 'enum' ? Object.values(inner._zod.def.entries ?? {}) : [];
      if (values.length === BOOLEAN_WORDS.length && BOOLEAN_WORDS.every((word) => values.includes(word))) {
        return '`true`/`false` (also `1`/`0`, `yes`/`no`)';
      }
      return describeAccepted(input);
    }
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((value) => `\`${value}\``)
        .join(', ');
    case 'number':
      return describeNumber(def);
    case 'string':
      return describeString(def);
    default:
      throw new Error(`docs:config does not know how to describe a zod "${def.type}" schema`);
  }
}

/** The default as the docs show it: paths inside the repository relative to it, so the file is the same on every machine. */
function showDefault(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    return path.isAbsolute(value) && value.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, value) : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // A parsed structure (TRUSTED_PROXIES: an empty list) means "nothing set": the description says what that does.
  return undefined;
}

/** Variables a service refuses to start without in production: its loader run with NODE_ENV=production alone. */
function requiredInProduction(service: ServiceEnvironment): Set<string> {
  try {
    service.loadConfig({ NODE_ENV: 'production' });
    return new Set();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return new Set(error.problems.filter((line) => line.endsWith(': required in production')).map((line) => line.split(':')[0]!));
  }
}

/** Every variable of one service, in its schema's order. Throws when a variable has no description or a description no variable. */
export function variablesOf(service: ServiceEnvironment): VariableFacts[] {
  const names = Object.keys(service.schema.shape);
  const undescribed = names.filter((name) => !service.descriptions[name]?.trim());
  const orphaned = Object.keys(service.descriptions).filter((name) => !names.includes(name));
  if (undescribed.length > 0 || orphaned.length > 0) {
    throw new Error(
      [
        ...undescribed.map((name) => `${service.name}: ${name} has no description (add it to envDescriptions in its config module)`),
        ...orphaned.map((name) => `${service.name}: ${name} is described but not in the schema`),
      ].join('\n'),
    );
  }
  const required = requiredInProduction(service);
  return names.map((name) => {
    const schema = service.schema.shape[name] as unknown as z.ZodType & ZodLike;
    const parsed = schema.safeParse(undefined);
    return {
      name,
      service: service.name,
      accepts: describeAccepted(schema),
      defaultValue: parsed.success ? showDefault(parsed.data) : undefined,
      requiredInProduction: required.has(name),
      description: service.descriptions[name]!,
    };
  });
}

/** A table cell: pipes escaped (GitHub tables allow `\|` even inside code spans), no line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** When services differ on a value: `users: a · orders: b`. */
function perService(rows: VariableFacts[], pick: (row: VariableFacts) => string): string {
  const values = rows.map(pick);
  if (values.every((value) => value === values[0])) return values[0]!;
  return rows.map((row, i) => `${row.service}: ${values[i]}`).join(' · ');
}

/**
 * The table rows: variables every service reads first, then by the services that read them (in
 * the order gateway, users, orders, the shared ones before one service's own), by name within each.
 */
export function renderVariableTable(services: ServiceEnvironment[]): string {
  const byName = new Map<string, VariableFacts[]>();
  for (const service of services) {
    for (const facts of variablesOf(service)) byName.set(facts.name, [...(byName.get(facts.name) ?? []), facts]);
  }
  const order = services.map((service) => service.name);
  const readersOf = (name: string) => byName.get(name)!.map((row) => row.service);
  const rank = (name: string) => {
    const readers = readersOf(name);
    return [-readers.length, ...readers.map((reader) => order.indexOf(reader))];
  };
  const compare = (a: string, b: string) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
      const difference = (ra[i] ?? -1) - (rb[i] ?? -1);
      if (difference !== 0) return difference;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const lines = ['| variable | read by | default | accepts | what it does |', '|---|---|---|---|---|'];
  for (const name of [...byName.keys()].sort(compare)) {
    const rows = byName.get(name)!;
    const readers = rows.length === services.length ? 'all' : readersOf(name).join(', ');
    const defaultCell = perService(
      rows,
      (row) =>
        `${row.defaultValue === undefined ? 'unset' : `\`${row.defaultValue}\``}${row.requiredInProduction ? '; **required in production**' : ''}`,
    );
    lines.push(
      `| \`${name}\` | ${readers} | ${cell(defaultCell)} | ${cell(perService(rows, (row) => row.accepts))} | ${cell(perService(rows, (row) => row.description))} |`,
    );
  }
  return lines.join('\n');
}

/** Variables read by the tooling around the services (npm start, migrations, tests, CI, the benchmark), not by a service. */
export interface ToolingVariable {
  name: string;
  /** Files that read it, relative to the repository root (the test checks each names it). */
  readBy: string[];
  description: string;
}

export const TOOLING_VARIABLES: ToolingVariable[] = [
  { name: 'GATEWAY_PORT', readBy: ['scripts/start.ts'], description: "`npm start`: the gateway's `PORT` (default 4000)." },
  { name: 'USERS_PORT', readBy: ['scripts/start.ts'], description: "`npm start`: the users service's `PORT` (default 4001)." },
  { name: 'ORDERS_PORT', readBy: ['scripts/start.ts'], description: "`npm start`: the orders service's `PORT` (default 4002)." },
  { name: 'USERS_GRPC_PORT', readBy: ['scripts/start.ts'], description: "`npm start`: the users service's `GRPC_PORT` (default 50051)." },
  { name: 'ORDERS_GRPC_PORT', readBy: ['scripts/start.ts'], description: "`npm start`: the orders service's `GRPC_PORT` (default 50052)." },
  {
    name: 'USERS_DATABASE_URL',
    readBy: ['scripts/start.ts', 'scripts/lib/subgraph-databases.ts'],
    description: "`npm start`: the users service's `DATABASE_URL`; `npm run migrate`: the users database to migrate.",
  },
  {
    name: 'ORDERS_DATABASE_URL',
    readBy: ['scripts/start.ts', 'scripts/lib/subgraph-databases.ts'],
    description: "`npm start`: the orders service's `DATABASE_URL`; `npm run migrate`: the orders database to migrate.",
  },
  {
    name: 'USERS_EMBEDDED_POSTGRES_PORT',
    readBy: ['scripts/start.ts'],
    description: "`npm start`: the users service's `EMBEDDED_POSTGRES_PORT`.",
  },
  {
    name: 'ORDERS_EMBEDDED_POSTGRES_PORT',
    readBy: ['scripts/start.ts'],
    description: "`npm start`: the orders service's `EMBEDDED_POSTGRES_PORT`.",
  },
  {
    name: 'DATA_DIR',
    readBy: ['scripts/start.ts'],
    description: '`npm start`: root of local data (default `.data`); each subgraph gets `<DATA_DIR>/<name>` as its own `DATA_DIR`.',
  },
  {
    name: 'WEB_PORT',
    readBy: ['scripts/start.ts', 'clients/web/vite.config.ts'],
    description: "`npm start`: port of the storefront's Vite development server (default 3000), which proxies `/graphql` to the gateway.",
  },
  {
    name: 'GATEWAY_URL',
    readBy: ['clients/web/vite.config.ts'],
    description: "The gateway Vite's `/graphql` proxy forwards to (default `http://localhost:4000`).",
  },
  {
    name: 'TEST_DATABASE_URL',
    readBy: ['test/support/global-setup.ts', 'bench/bench-options.ts', 'scripts/soak.ts'],
    description:
      '`npm test`, `npm run bench`, `npm run soak`: a PostgreSQL server (admin rights) to create throw-away databases on. Unset: an embedded PostgreSQL.',
  },
  {
    name: 'TEST_LOG_LEVEL',
    readBy: ['shared/src/testing/test-logger.ts'],
    description: 'Level of the loggers tests capture (their lines are kept in memory for assertions, never printed); default `debug`.',
  },
  {
    name: 'FEDSHOP_BASE_REF',
    readBy: ['test/delivery/support/contract-base.ts'],
    description:
      'The git ref contracts are judged against (`buf breaking`, the GraphQL breaking-change check). Unset: the branch `main`, else `origin/main`.',
  },
  {
    name: 'FEDSHOP_VERSION',
    readBy: ['docker-compose.yml', 'Makefile'],
    description: "Image tag the compose stack runs (`fedshop/<service>:<version>`); `make` sets it to package.json's version.",
  },
  {
    name: 'FEDSHOP_NODE_HOME',
    readBy: ['.ci/run'],
    description: '`.ci/run`: where Node 24 is installed from the npm registry (default `~/.cache/fedshop/node24`).',
  },
  {
    name: 'PRISMA_SCHEMA_ENGINE_BINARY',
    readBy: ['scripts/generate-prisma.ts'],
    description: "`npm run prisma:generate`: passed to Prisma's CLI, which otherwise tries to download an engine generation does not use.",
  },
  {
    name: 'TEST_SUMMARY_FILE',
    readBy: ['test/support/summary-reporter.js', '.ci/run'],
    description: '`npm test`: where the summary reporter writes the totals as JSON (`.ci/run` sets it and prints "N passed, N failed").',
  },
  {
    name: 'DEDUPLICATE_INFLIGHT',
    readBy: ['bench/gateways/peer-gateway-env.ts'],
    description: "The benchmark's Hive Gateway: `false` turns its in-flight deduplication off (`--gateway hive-nodedup`).",
  },
];

function renderToolingTable(): string {
  const lines = ['| variable | read by | what it does |', '|---|---|---|'];
  for (const variable of TOOLING_VARIABLES) {
    lines.push(`| \`${variable.name}\` | ${variable.readBy.map((file) => `\`${file}\``).join(', ')} | ${cell(variable.description)} |`);
  }
  return lines.join('\n');
}

/** What the users service prints when started in production with a bad port and no secrets (its own loader's words). */
function exampleRefusal(): string {
  try {
    usersConfig.loadConfig({ NODE_ENV: 'production', PORT: '99999' });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the users loader to refuse a production start without secrets');
}

/** The whole of docs/configuration.md. */
export function renderConfigurationDoc(services: ServiceEnvironment[] = SERVICE_ENVIRONMENTS): string {
  return `<!-- Generated by \`npm run docs:config\` (scripts/generate-config-docs.ts) from the services' config schemas. Do not edit: change the schema or its description in the service's src/config.ts (shared ones in shared/src/config/common-env.ts, shared/src/telemetry/telemetry-config.ts, gateway/src/edge/edge-config.ts), then run \`npm run docs:config\`. -->

# Configuration

Each service reads its environment once, at start, in \`src/config.ts\` (zod), and nowhere else.
A start with bad variables exits 1 and prints one line per bad variable, missing and invalid alike:

\`\`\`text
$ NODE_ENV=production PORT=99999 node dist/main.js     # in subgraphs/users
${exampleRefusal()}
\`\`\`

An empty value (\`FOO=\`) counts as unset. Values are trimmed. Variables a service does not know are
ignored. [\`.env.example\`](../.env.example) has the same variables as a file to copy to \`.env\`, which
\`npm start\` reads (real environment variables win).

## Service variables

"unset" means the variable has no default: the description says what its absence does. **Required in
production** means the service refuses to start without it when \`NODE_ENV=production\`.

${renderVariableTable(services)}

## Tooling variables

Read by the scripts, tests and files around the services, as the table says. Under \`npm start\` the
per-service variables below are mapped onto each service's own (\`USERS_PORT\` → the users
service's \`PORT\`); every other variable passes through to all three.

${renderToolingTable()}

The tests also read \`REDIS_URL\` and \`NATS_URL\`: when set, the tests that need a real Redis or
JetStream run against them; when not, those tests are skipped and say so ([ci.md](ci.md)).
`;
}

function main(): void {
  const check = process.argv.includes('--check');
  const rendered = renderConfigurationDoc();
  const relative = path.relative(process.cwd(), CONFIGURATION_DOC);
  if (check) {
    const committed = existsSync(CONFIGURATION_DOC) ? readFileSync(CONFIGURATION_DOC, 'utf8') : '';
    if (committed !== rendered) {
      console.error(`${relative} is stale: run \`npm run docs:config\` and commit the result`);
      process.exit(1);
    }
    console.log(`${relative} is up to date`);
    return;
  }
  writeFileSync(CONFIGURATION_DOC, rendered);
  console.log(`wrote ${relative}`);
}

if (require.main === module) main();
