import type { Logger } from 'pino';
import type { OrderServiceClient } from '../clients/order-service-client';
import type { LoyaltyFeed } from '../events/loyalty-feed';
import type { RefreshTokenRepository } from '../repositories/refresh-token-repository';
import type { UserRepository } from '../repositories/user-repository';
import type { PasswordHasher } from '../security/password-hasher';
import type { TokenIssuer } from '../security/token-issuer';
import type { Clock, SignInThrottle } from './sign-in-throttle';

/** Everything the users use cases need, injected once at start (tests pass their own). */
export interface UsersDependencies {
  users: UserRepository;
  passwords: PasswordHasher;
  tokens: TokenIssuer;
  orders: OrderServiceClient;
  /** Slows down and locks sign-in per email after repeated failures. */
  signInThrottle: SignInThrottle;
  /** Refresh tokens of sessions, by hash (sessions.ts). */
  refreshTokens: RefreshTokenRepository;
  sessions: {
    /** How long a refresh token stays valid unused; each refresh starts the period again. */
    refreshTtlSeconds: number;
  };
  clock: Clock;
  /** Committed loyalty changes, for subscriptions. */
  loyaltyFeed: LoyaltyFeed;
  logger: Logger;
}
