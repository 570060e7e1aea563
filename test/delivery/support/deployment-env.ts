/**
 * The one check every deployment artifact's service environment goes through (compose files,
 * Kubernetes ConfigMaps/Deployments): names exactly as src/config.ts reads them, nothing a
 * deployment needs left out, values the loader accepts, and the addresses of the other services
 * on their real ports.
 */
import { configProblems, requiredInProduction, service, variablesRead, type DeliveredService } from './services';

type ServiceName = DeliveredService['name'];

/** Variables a deployment must set for a service, whatever the environment (their defaults point at localhost). */
export const DEPLOYMENT_REQUIRED: Record<ServiceName, string[]> = {
  gateway: ['NODE_ENV', 'PORT', 'USERS_URL', 'ORDERS_URL', 'JWKS_URL'],
  users: ['NODE_ENV', 'PORT', 'GRPC_PORT', 'DATABASE_URL', 'ORDER_SERVICE_ADDR', 'MIGRATE_ON_START'],
  orders: ['NODE_ENV', 'PORT', 'GRPC_PORT', 'DATABASE_URL', 'USER_SERVICE_ADDR', 'JWKS_URL', 'MIGRATE_ON_START'],
};

/** Brokers a deployment runs: a service whose config reads the variable must be given it. */
export const BROKER_VARIABLES = ['NATS_URL', 'REDIS_URL'] as const;

/** Where each service finds the others inside a deployment (service names as DNS names). */
export function expectedAddresses(): Record<string, string> {
  const users = service('users');
  const orders = service('orders');
  return {
    USERS_URL: `http://users:${users.httpPort}/graphql`,
    ORDERS_URL: `http://orders:${orders.httpPort}/graphql`,
    JWKS_URL: `http://users:${users.httpPort}/.well-known/jwks.json`,
    USER_SERVICE_ADDR: `users:${users.grpcPort}`,
    ORDER_SERVICE_ADDR: `orders:${orders.grpcPort}`,
  };
}

/** Stand-ins for values held in secrets, so the loader can judge the rest of the environment. */
const SECRET_PLACEHOLDERS: Record<string, string> = {
  DATABASE_URL: 'postgres://placeholder:placeholder@db:5432/placeholder',
  JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'placeholder-password',
};

export interface ServiceEnvironment {
  /** Plain values (compose `environment`, ConfigMap data, `env[].value`). */
  values: Record<string, string | null | undefined>;
  /** Variables whose values come from secrets (compose secret targets, secretKeyRef). */
  secrets?: string[];
}

/**
 * Everything wrong with one service's environment in a deployment, one line each (empty = fine).
 * `production`: NODE_ENV is production there, so the loader's production requirements apply.
 */
export function environmentProblems(name: ServiceName, environment: ServiceEnvironment): string[] {
  const target = service(name);
  const read = new Set(variablesRead(target.loadConfig));
  const values = Object.fromEntries(
    Object.entries(environment.values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const secrets = environment.secrets ?? [];
  const given = new Set([...Object.keys(values), ...secrets]);
  const problems: string[] = [];

  for (const variable of given) {
    if (!read.has(variable)) problems.push(`${name}: sets ${variable}, which ${target.workspace}/src/config.ts does not read`);
  }
  const production = values.NODE_ENV === 'production';
  const required = new Set([
    ...DEPLOYMENT_REQUIRED[name],
    ...BROKER_VARIABLES.filter((variable) => read.has(variable)),
    ...(production ? requiredInProduction(target.loadConfig) : []),
  ]);
  for (const variable of required) if (!given.has(variable)) problems.push(`${name}: ${variable} is not set`);

  const probe: Record<string, string> = { ...values };
  for (const variable of secrets) probe[variable] = SECRET_PLACEHOLDERS[variable] ?? 'placeholder';
  for (const problem of configProblems(target.loadConfig, probe)) problems.push(`${name}: ${problem}`);

  if (values.PORT !== undefined && values.PORT !== String(target.httpPort)) {
    problems.push(`${name}: PORT is ${values.PORT}, not ${target.httpPort} (the port every other artifact uses)`);
  }
  if (target.grpcPort !== undefined && values.GRPC_PORT !== undefined && values.GRPC_PORT !== String(target.grpcPort)) {
    problems.push(`${name}: GRPC_PORT is ${values.GRPC_PORT}, not ${target.grpcPort}`);
  }
  for (const [variable, address] of Object.entries(expectedAddresses())) {
    if (values[variable] !== undefined && values[variable] !== address) {
      problems.push(`${name}: ${variable} is ${values[variable]}, expected ${address}`);
    }
  }
  for (const variable of ['DATABASE_URL', 'JWT_PRIVATE_KEY', 'ADMIN_PASSWORD']) {
    if (production && values[variable] !== undefined)
      problems.push(`${name}: ${variable} is a plain value in production; it belongs in a secret`);
  }
  return problems;
}
