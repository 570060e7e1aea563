import { errorCodes } from '../../../test/support/graphql-client';
import { signInAdmin, signUpCustomer, startUsersUnderTest, type SignedIn, type UsersUnderTest } from './support/start-users-under-test';

const UPDATE_PROFILE = /* GraphQL */ `
  mutation ($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      id
      name
      email
    }
  }
`;
const SUSPEND_USER = /* GraphQL */ `
  mutation ($id: ID!) {
    suspendUser(id: $id) {
      id
      status
      role
    }
  }
`;
const DELETE_ACCOUNT = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteAccount(id: $id)
  }
`;
const UNKNOWN_ID = '00000000-0000-7000-8000-000000000000';
const DEADLINE_MS = 1000;

describe('users service: updateProfile, suspendUser, deleteAccount', () => {
  let users: UsersUnderTest;
  let admin: SignedIn;

  beforeAll(async () => {
    users = await startUsersUnderTest({ env: { GRPC_DEADLINE_MS: String(DEADLINE_MS) } });
    admin = await signInAdmin(users);
  });
  afterAll(async () => {
    await users?.stop();
  });

  async function storedUser(id: string): Promise<{ name: string; status: string; role: string } | undefined> {
    const result = await users.sql.query('SELECT name, status, role FROM users WHERE id = $1', [id]);
    return result.rows[0];
  }

  describe('updateProfile', () => {
    test('when a customer renames themselves with spaces around, then the trimmed name is stored and returned', async () => {
      const customer = await signUpCustomer(users);

      const response = await users.gql(UPDATE_PROFILE, { input: { name: '   Ada King  ' } }, { token: customer.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.updateProfile).toEqual({ id: customer.user.id, name: 'Ada King', email: customer.user.email });
      expect((await storedUser(customer.user.id))?.name).toBe('Ada King');
    });

    test.each([
      ['an empty name', ''],
      ['a whitespace-only name', '    '],
      ['a name of 101 characters', 'x'.repeat(101)],
      ['a name with a NUL character', 'Null\u0000Name'],
    ])('when renaming to %s, then BAD_USER_INPUT on input.name and the name is unchanged', async (_label, name) => {
      const customer = await signUpCustomer(users, { name: 'Original Name' });

      const response = await users.gql(UPDATE_PROFILE, { input: { name } }, { token: customer.token });

      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors[0]!.extensions).toMatchObject({ field: 'input.name' });
      expect((await storedUser(customer.user.id))?.name).toBe('Original Name');
    });

    test('when anonymous, then UNAUTHENTICATED', async () => {
      const response = await users.gql(UPDATE_PROFILE, { input: { name: 'Nobody' } });

      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('suspendUser', () => {
    test('when a customer tries to suspend someone, then FORBIDDEN and the account stays ACTIVE', async () => {
      const [customer, victim] = [await signUpCustomer(users), await signUpCustomer(users)];

      const response = await users.gql(SUSPEND_USER, { id: victim.user.id }, { token: customer.token });

      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect((await storedUser(victim.user.id))?.status).toBe('ACTIVE');
    });

    test('when an admin suspends an account twice, then it is SUSPENDED both times without error', async () => {
      const customer = await signUpCustomer(users);

      const first = await users.gql(SUSPEND_USER, { id: customer.user.id }, { token: admin.token });
      const second = await users.gql(SUSPEND_USER, { id: customer.user.id }, { token: admin.token });

      expect(first.errors).toEqual([]);
      expect(first.data!.suspendUser).toEqual({ id: customer.user.id, status: 'SUSPENDED', role: 'CUSTOMER' });
      expect(second.errors).toEqual([]);
      expect(second.data!.suspendUser).toEqual(first.data!.suspendUser);
      expect((await storedUser(customer.user.id))?.status).toBe('SUSPENDED');
      const me = await users.gql('{ me { id status } }', {}, { token: customer.token });
      expect(me.data!.me).toEqual({ id: customer.user.id, status: 'SUSPENDED' });
    });

    test('when an admin tries to suspend themselves, then CONFLICT and they stay ACTIVE', async () => {
      const response = await users.gql(SUSPEND_USER, { id: admin.user.id }, { token: admin.token });

      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect((await storedUser(admin.user.id))?.status).toBe('ACTIVE');
    });

    test('when an admin tries to suspend themselves under an upper-case spelling of their id, then NOT_FOUND and they stay ACTIVE', async () => {
      const response = await users.gql(SUSPEND_USER, { id: admin.user.id.toUpperCase() }, { token: admin.token });

      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      expect(response.data).toBeNull();
      expect((await storedUser(admin.user.id))?.status).toBe('ACTIVE');
    });

    test.each([
      ['an unknown UUID', UNKNOWN_ID],
      ['a non-UUID id', 'not-a-uuid'],
    ])('when an admin suspends %s, then NOT_FOUND', async (_label, id) => {
      const response = await users.gql(SUSPEND_USER, { id }, { token: admin.token });

      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      expect(response.data).toBeNull();
    });
  });

  describe('deleteAccount', () => {
    test('when a customer deletes themselves and the orders service says 0 open orders, then the account is gone', async () => {
      const customer = await signUpCustomer(users);
      users.orders.openOrders.set(customer.user.id, 0);

      const response = await users.gql(
        DELETE_ACCOUNT,
        { id: customer.user.id },
        { token: customer.token, headers: { 'x-request-id': 'delete-self-1' } },
      );

      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({ deleteAccount: true });
      expect(await storedUser(customer.user.id)).toBeUndefined();
      expect(users.orders.calls).toContainEqual({ userId: customer.user.id, requestId: 'delete-self-1' });
      // The token outlives the account, but is refused from now on (use-cases/check-viewer-account.ts).
      const me = await users.gql('{ me { id } }', {}, { token: customer.token });
      expect(me.status).toBe(401);
      expect(errorCodes(me)).toEqual(['UNAUTHENTICATED']);
    });

    test('when the orders service says 2 open orders, then CONFLICT with openOrders and nothing is deleted', async () => {
      const customer = await signUpCustomer(users);
      users.orders.openOrders.set(customer.user.id, 2);

      const response = await users.gql(DELETE_ACCOUNT, { id: customer.user.id }, { token: customer.token });

      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors[0]!.extensions).toMatchObject({ openOrders: 2 });
      expect(response.data).toBeNull();
      expect(await storedUser(customer.user.id)).toBeDefined();
      expect(users.orders.calls.at(-1)?.userId).toBe(customer.user.id);
    });

    test("when a customer deletes another customer's account, then FORBIDDEN, the orders service is not asked and nothing is deleted", async () => {
      const [customer, other] = [await signUpCustomer(users), await signUpCustomer(users)];
      const callsBefore = users.orders.calls.length;

      const response = await users.gql(DELETE_ACCOUNT, { id: other.user.id }, { token: customer.token });

      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(await storedUser(other.user.id)).toBeDefined();
      expect(users.orders.calls).toHaveLength(callsBefore);
    });

    test('when anonymous, then UNAUTHENTICATED', async () => {
      const customer = await signUpCustomer(users);

      const response = await users.gql(DELETE_ACCOUNT, { id: customer.user.id });

      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(await storedUser(customer.user.id)).toBeDefined();
    });

    test("when an admin deletes a customer's account, then it is gone", async () => {
      const customer = await signUpCustomer(users);

      const response = await users.gql(DELETE_ACCOUNT, { id: customer.user.id }, { token: admin.token });

      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({ deleteAccount: true });
      expect(await storedUser(customer.user.id)).toBeUndefined();
    });

    test.each([
      ['an unknown UUID', UNKNOWN_ID],
      ['a non-UUID id', 'not-a-uuid'],
    ])('when an admin deletes %s, then NOT_FOUND', async (_label, id) => {
      const response = await users.gql(DELETE_ACCOUNT, { id }, { token: admin.token });

      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    });
  });

  describe('when the orders service hangs', () => {
    test('when a customer deletes their account, then SERVICE_UNAVAILABLE (retryable) after the gRPC deadline and nothing is deleted', async () => {
      const customer = await signUpCustomer(users);
      users.orders.unanswered.add(customer.user.id);

      const started = Date.now();
      const response = await users.gql(DELETE_ACCOUNT, { id: customer.user.id }, { token: customer.token });
      const elapsedMs = Date.now() - started;

      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.errors[0]!.extensions).toMatchObject({ retryable: true });
      expect(users.orders.calls.at(-1)?.userId).toBe(customer.user.id);
      expect(elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(elapsedMs).toBeLessThan(3000);
      expect(await storedUser(customer.user.id)).toBeDefined();
    });
  });

  // Last: the fake orders service stays down afterwards.
  describe('when the orders service is down', () => {
    test('when a customer deletes their account, then SERVICE_UNAVAILABLE (retryable) within about 3 s and nothing is deleted', async () => {
      const customer = await signUpCustomer(users);
      await users.orders.stop();
      const before = Number((await users.sql.query('SELECT count(*) FROM users')).rows[0].count);

      const started = Date.now();
      const response = await users.gql(DELETE_ACCOUNT, { id: customer.user.id }, { token: customer.token });
      const elapsedMs = Date.now() - started;

      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.errors[0]!.extensions).toMatchObject({ retryable: true });
      expect(response.data).toBeNull();
      expect(elapsedMs).toBeLessThan(3000);
      expect(await storedUser(customer.user.id)).toBeDefined();
      expect(Number((await users.sql.query('SELECT count(*) FROM users')).rows[0].count)).toBe(before);
    });

    test('when an account is renamed meanwhile, then it works: only deletion needs the orders service', async () => {
      const customer = await signUpCustomer(users);

      const response = await users.gql(UPDATE_PROFILE, { input: { name: 'Still Here' } }, { token: customer.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.updateProfile.name).toBe('Still Here');
    });
  });
});
