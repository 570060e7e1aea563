import { unaryHandler, userV1 } from '@fedshop/shared/grpc';
import type { Logger } from 'pino';
import { getAccountState } from '../use-cases/account-state';
import type { UsersDependencies } from '../use-cases/dependencies';

const STATUS: Record<string, userV1.UserStatus> = {
  ACTIVE: userV1.UserStatus.USER_STATUS_ACTIVE,
  SUSPENDED: userV1.UserStatus.USER_STATUS_SUSPENDED,
};
const ROLE: Record<string, userV1.Role> = {
  CUSTOMER: userV1.Role.ROLE_CUSTOMER,
  ADMIN: userV1.Role.ROLE_ADMIN,
};

/** user.v1.UserService: the questions other services may ask about accounts. */
export function createUserServiceHandlers(deps: Pick<UsersDependencies, 'users'>, logger: Logger): userV1.UserServiceServer {
  return {
    getUser: unaryHandler(logger, 'user.v1.UserService/GetUser', async (request: userV1.GetUserRequest) => {
      const user = await getAccountState(deps, request.userId);
      return {
        user: {
          id: user.id,
          status: STATUS[user.status] ?? userV1.UserStatus.USER_STATUS_UNSPECIFIED,
          role: ROLE[user.role] ?? userV1.Role.ROLE_UNSPECIFIED,
        },
      };
    }),
  };
}
