/**
 * The three deployable services as the delivery checks see them, and what each one's config
 * loader reads: the binding list every compose file and Kubernetes manifest is compared with.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@fedshop/shared/config';
import { loadConfig as loadGatewayConfig } from '../../../gateway/src/config';
import { loadConfig as loadOrdersConfig } from '../../../subgraphs/orders/src/config';
import { loadConfig as loadUsersConfig } from '../../../subgraphs/users/src/config';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const PROJECT = 'fedshop';

type Env = Record<string, string | undefined>;

export interface DeliveredService {
  name: 'gateway' | 'users' | 'orders';
  /** Workspace folder, relative to the repo root. */
  workspace: string;
  /** The compiled entry point the image runs (`node dist/main.js` in the workspace), from the repo root. */
  entry: string;
  httpPort: number;
  grpcPort?: number;
  loadConfig: (source: Env) => unknown;
}

/** Ports as the README's table has them (and each config's defaults, which a test checks). */
export const SERVICES: DeliveredService[] = [
  { name: 'gateway', workspace: 'gateway', entry: 'gateway/dist/main.js', httpPort: 4000, loadConfig: loadGatewayConfig },
  {
    name: 'users',
    workspace: 'subgraphs/users',
    entry: 'subgraphs/users/dist/main.js',
    httpPort: 4001,
    grpcPort: 50051,
    loadConfig: loadUsersConfig,
  },
  {
    name: 'orders',
    workspace: 'subgraphs/orders',
    entry: 'subgraphs/orders/dist/main.js',
    httpPort: 4002,
    grpcPort: 50052,
    loadConfig: loadOrdersConfig,
  },
];

export function service(name: string): DeliveredService {
  const found = SERVICES.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`unknown service ${name}`);
  return found;
}

/**
 * Every environment variable a config loader reads, observed rather than declared: the loader
 * runs once on an environment that records each name asked for (parseEnv asks for every key of
 * the service's zod schema, and the cross-variable rules for theirs). Follows src/config.ts as it
 * changes, with no list to keep in step.
 */
export function variablesRead(load: (source: Env) => unknown): string[] {
  const read = new Set<string>();
  const recorder = new Proxy<Env>(
    {},
    {
      get(_target, key) {
        if (typeof key === 'string') read.add(key);
        return undefined;
      },
    },
  );
  try {
    load(recorder);
  } catch {
    // Only the names matter here; defaults or rules may still reject an empty environment.
  }
  return [...read].sort();
}

/** Runs a loader; returns the ConfigError's problem lines (empty when the environment is valid). */
export function configProblems(load: (source: Env) => unknown, env: Env): string[] {
  try {
    load(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** Variables a loader requires in production (its `X: required in production` problems). */
export function requiredInProduction(load: (source: Env) => unknown): string[] {
  return configProblems(load, { NODE_ENV: 'production' })
    .map((problem) => /^([A-Z0-9_]+): required in production$/.exec(problem)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** A workspace's (or the root's) package.json version: images are fedshop/<service>:<version>. */
export function packageVersion(workspace = '.'): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, workspace, 'package.json'), 'utf8')) as { version: string }).version;
}

export function rootScripts(): Record<string, string> {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
}
