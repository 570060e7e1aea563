import { credentials } from '@grpc/grpc-js';
import type { GrpcClientSettings } from '@fedshop/shared/config';
import { callUnary, createResilientCaller, grpcClientOptions, userV1 } from '@fedshop/shared/grpc';
import type { GrpcMetrics } from '@fedshop/shared/metrics';
import type { Logger } from 'pino';

interface AccountState {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'UNKNOWN';
  role: 'CUSTOMER' | 'ADMIN' | 'UNKNOWN';
}

/** What the orders service asks the users service (user.v1.UserService over gRPC). */
export interface UserServiceClient {
  /** The account's current state; rejects with NOT_FOUND for an unknown id. */
  getUser(userId: string): Promise<AccountState>;
  /** Circuit breaker state of this downstream. */
  breakerState(): 'closed' | 'open' | 'half-open';
  close(): void;
}

const STATUS: Record<string, AccountState['status']> = {
  [userV1.UserStatus.USER_STATUS_ACTIVE]: 'ACTIVE',
  [userV1.UserStatus.USER_STATUS_SUSPENDED]: 'SUSPENDED',
};
const ROLE: Record<string, AccountState['role']> = {
  [userV1.Role.ROLE_CUSTOMER]: 'CUSTOMER',
  [userV1.Role.ROLE_ADMIN]: 'ADMIN',
};

/**
 * One long-lived channel to the users service. Every call carries a deadline; reads are
 * retried on transport failures; a circuit breaker fails calls fast while users is down.
 */
export function createUserServiceClient(
  address: string,
  settings: GrpcClientSettings,
  logger: Logger,
  /** Where calls and the breaker's state are measured (the service's registry). */
  metrics?: GrpcMetrics,
): UserServiceClient {
  const client = new userV1.UserServiceClient(address, credentials.createInsecure(), grpcClientOptions(metrics));
  const resilience = createResilientCaller({ downstream: 'users', logger, ...settings, metrics });
  return {
    async getUser(userId) {
      // One deadline for the whole call, retries included: a hung peer costs GRPC_DEADLINE_MS, not a multiple.
      const deadlineAt = Date.now() + settings.deadlineMs;
      const response = await resilience.idempotent(() =>
        callUnary(client.getUser.bind(client), { userId }, { downstream: 'users', deadlineAt }),
      );
      const user = response.user;
      return {
        id: user?.id ?? userId,
        status: (user && STATUS[user.status]) ?? 'UNKNOWN',
        role: (user && ROLE[user.role]) ?? 'UNKNOWN',
      };
    },
    breakerState: () => resilience.state(),
    close: () => client.close(),
  };
}
