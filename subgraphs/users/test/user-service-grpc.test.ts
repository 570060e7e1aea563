import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { userV1 } from '@fedshop/shared/grpc';
import { signInAdmin, signUpCustomer, startUsersUnderTest, type SignedIn, type UsersUnderTest } from './support/start-users-under-test';

describe('users service: gRPC user.v1.UserService/GetUser', () => {
  let users: UsersUnderTest;
  let client: InstanceType<typeof userV1.UserServiceClient>;
  let admin: SignedIn;
  let active: SignedIn;
  let suspended: SignedIn;

  beforeAll(async () => {
    users = await startUsersUnderTest();
    client = new userV1.UserServiceClient(`127.0.0.1:${users.service.grpcPort}`, credentials.createInsecure());
    admin = await signInAdmin(users);
    active = await signUpCustomer(users, { email: 'active@example.com', password: 'active-password' });
    suspended = await signUpCustomer(users, { email: 'suspended@example.com', password: 'suspended-password' });
    const response = await users.gql(
      'mutation($id: ID!) { suspendUser(id: $id) { status } }',
      { id: suspended.user.id },
      { token: admin.token },
    );
    if (response.data?.suspendUser.status !== 'SUSPENDED') throw new Error(`suspendUser failed: ${JSON.stringify(response.errors)}`);
  });
  afterAll(async () => {
    client?.close();
    await users?.stop();
  });

  function getUser(userId: string): Promise<userV1.GetUserResponse> {
    return new Promise((resolve, reject) => {
      client.getUser({ userId }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }

  /** The response exactly as it crossed the wire, before any decoding drops unknown fields. */
  function getUserBytes(userId: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        userV1.UserServiceService.getUser.path,
        userV1.UserServiceService.getUser.requestSerialize,
        (bytes: Buffer) => bytes,
        { userId },
        (error, bytes) => (error ? reject(error) : resolve(bytes!)),
      );
    });
  }

  test.each([
    ['an active customer', () => active, userV1.UserStatus.USER_STATUS_ACTIVE, userV1.Role.ROLE_CUSTOMER],
    ['a suspended customer', () => suspended, userV1.UserStatus.USER_STATUS_SUSPENDED, userV1.Role.ROLE_CUSTOMER],
    ['the admin', () => admin, userV1.UserStatus.USER_STATUS_ACTIVE, userV1.Role.ROLE_ADMIN],
  ])('when asked for %s, then id, status and role map correctly', async (_label, account, expectedStatus, expectedRole) => {
    const response = await getUser(account().user.id);

    expect(response).toEqual({ user: { id: account().user.id, status: expectedStatus, role: expectedRole } });
  });

  test.each([
    ['an unknown UUID', '00000000-0000-7000-8000-000000000000'],
    ['a non-UUID id', 'not-a-uuid'],
    ['an empty id', ''],
    ['an upper-case spelling of a real id', () => active.user.id.toUpperCase()],
  ])('when asked for %s, then gRPC status NOT_FOUND', async (_label, id) => {
    const userId = typeof id === 'function' ? id() : id;
    const error = (await getUser(userId).then(
      () => null,
      (thrown: ServiceError) => thrown,
    )) as ServiceError | null;

    expect(error).not.toBeNull();
    expect(error!.code).toBe(status.NOT_FOUND);
    expect(error!.metadata.get('x-error-code')).toEqual(['NOT_FOUND']);
  });

  test('when a user is fetched, then the bytes on the wire carry neither email, name nor password hash', async () => {
    const stored = await users.sql.query<{ email: string; name: string; password_hash: string }>(
      'SELECT email, name, password_hash FROM users WHERE id = $1',
      [active.user.id],
    );
    const { email, name, password_hash: passwordHash } = stored.rows[0]!;

    const bytes = await getUserBytes(active.user.id);
    const wire = bytes.toString('latin1');

    expect(userV1.GetUserResponse.decode(bytes).user?.id).toBe(active.user.id);
    for (const secret of [email, name, passwordHash, ...passwordHash.split('$').slice(4), 'active-password']) {
      expect(wire).not.toContain(secret);
    }
    // id (38 bytes with its tag and length) + status + role, each a two-byte varint field, inside a 2-byte wrapper.
    expect(bytes.length).toBeLessThanOrEqual(2 + 38 + 2 + 2);
  });
});
