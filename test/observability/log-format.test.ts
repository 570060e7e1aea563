/**
 * Observability: logs are JSON lines wherever they are collected; pretty output is a
 * development convenience that production never gets, whatever LOG_PRETTY says.
 */
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { loadConfig as loadOrdersConfig } from '../../subgraphs/orders/src/config';
import { loadConfig as loadUsersConfig } from '../../subgraphs/users/src/config';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://service@db:5432/service',
  JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----',
};
const LOADERS = { gateway: loadGatewayConfig, users: loadUsersConfig, orders: loadOrdersConfig };

test('when LOG_PRETTY is set in development, then the services print pretty lines', () => {
  for (const load of Object.values(LOADERS)) expect(load({ LOG_PRETTY: 'true' }).log.pretty).toBe(true);
});

test('when LOG_PRETTY is set in production, then the services still write JSON lines', () => {
  for (const load of Object.values(LOADERS)) expect(load({ ...PRODUCTION, LOG_PRETTY: 'true' }).log.pretty).toBe(false);
});
