import type { Logger } from 'pino';
import type { OrderServiceClient } from '../clients/order-service-client';
import type { UserRepository } from '../repositories/user-repository';
import type { PasswordHasher } from '../security/password-hasher';
import type { TokenIssuer } from '../security/token-issuer';

/** Everything the users use cases need, injected once at start (tests pass their own). */
export interface UsersDependencies {
  users: UserRepository;
  passwords: PasswordHasher;
  tokens: TokenIssuer;
  orders: OrderServiceClient;
  logger: Logger;
}
