import { credentials } from '@grpc/grpc-js';
import { callUnary, GRPC_CLIENT_OPTIONS, userV1 } from '@fedshop/shared';

export interface AccountState {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'UNKNOWN';
  role: 'CUSTOMER' | 'ADMIN' | 'UNKNOWN';
}

/** What the orders service asks the users service (user.v1.UserService over gRPC). */
export interface UserServiceClient {
  /** The account's current state; rejects with NOT_FOUND for an unknown id. */
  getUser(userId: string, requestId?: string): Promise<AccountState>;
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

/** One long-lived channel to the users service; every call carries a deadline. */
export function createUserServiceClient(address: string, deadlineMs: number): UserServiceClient {
  const client = new userV1.UserServiceClient(address, credentials.createInsecure(), GRPC_CLIENT_OPTIONS);
  return {
    async getUser(userId, requestId) {
      const response = await callUnary(client.getUser.bind(client), { userId }, { downstream: 'users', deadlineMs, requestId });
      const user = response.user;
      return {
        id: user?.id ?? userId,
        status: (user && STATUS[user.status]) ?? 'UNKNOWN',
        role: (user && ROLE[user.role]) ?? 'UNKNOWN',
      };
    },
    close: () => client.close(),
  };
}
