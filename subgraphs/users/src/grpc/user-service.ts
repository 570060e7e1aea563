import { notFound } from '@fedshop/shared/errors';
import { unaryHandler, userV1 } from '@fedshop/shared/grpc';
import type { Logger } from 'pino';
import { isUserId } from '../domain/user-input';
import type { UserRepository } from '../repositories/user-repository';

const STATUS: Record<string, userV1.UserStatus> = {
  ACTIVE: userV1.UserStatus.USER_STATUS_ACTIVE,
  SUSPENDED: userV1.UserStatus.USER_STATUS_SUSPENDED,
};
const ROLE: Record<string, userV1.Role> = {
  CUSTOMER: userV1.Role.ROLE_CUSTOMER,
  ADMIN: userV1.Role.ROLE_ADMIN,
};

/** user.v1.UserService: the questions other services may ask about accounts. */
export function createUserServiceHandlers(users: UserRepository, logger: Logger): userV1.UserServiceServer {
  return {
    getUser: unaryHandler(logger, 'user.v1.UserService/GetUser', async (request: userV1.GetUserRequest) => {
      const user = isUserId(request.userId) ? await users.findById(request.userId) : null;
      if (!user) throw notFound('No such user.');
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
