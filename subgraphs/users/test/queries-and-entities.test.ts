import { errorCodes, type GraphQLTestResponse } from '../../../test/support/graphql-client';
import {
  countUsers,
  signInAdmin,
  signUpCustomer,
  startUsersUnderTest,
  type SignedIn,
  type UsersUnderTest,
} from './support/start-users-under-test';

const USER_BY_ID = /* GraphQL */ `
  query User($id: ID!) {
    user(id: $id) {
      id
      name
      email
      role
      status
    }
  }
`;
const USERS_PAGE = /* GraphQL */ `
  query Users($first: Int, $after: String) {
    users(first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          id
          email
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
const ENTITIES = (fields: string) => /* GraphQL */ `
  query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { ${fields} } } }`;
const UNKNOWN_ID = '00000000-0000-7000-8000-000000000000';

interface UsersPage {
  totalCount: number;
  edges: { cursor: string; node: { id: string; email: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('users service: queries and the federation entity path', () => {
  let users: UsersUnderTest;
  let admin: SignedIn;
  let alice: SignedIn;
  let bob: SignedIn;

  beforeAll(async () => {
    users = await startUsersUnderTest();
    admin = await signInAdmin(users);
    alice = await signUpCustomer(users, { email: 'alice@example.com', name: 'Alice' });
    bob = await signUpCustomer(users, { email: 'bob@example.com', name: 'Bob' });
  });
  afterAll(async () => {
    await users?.stop();
  });

  describe('me', () => {
    test('when anonymous, then me is null without error', async () => {
      const response = await users.gql('{ me { id } }');

      expect(response.status).toBe(200);
      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({ me: null });
    });

    test('when signed in, then me is the account itself with its email', async () => {
      const response = await users.gql('{ me { id name email role status } }', {}, { token: alice.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.me).toEqual({
        id: alice.user.id,
        name: 'Alice',
        email: 'alice@example.com',
        role: 'CUSTOMER',
        status: 'ACTIVE',
      });
    });
  });

  describe('user(id)', () => {
    test('when anonymous, then UNAUTHENTICATED', async () => {
      const response = await users.gql(USER_BY_ID, { id: alice.user.id });

      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.data).toEqual({ user: null });
    });

    test.each([
      ['an unknown UUID', () => UNKNOWN_ID],
      ['a non-UUID id', () => 'not-a-uuid'],
      ['an SQL-looking id', () => "1' OR '1'='1"],
      ['an empty id', () => ''],
      ['an upper-case spelling of a real id', () => alice.user.id.toUpperCase()],
    ])('when asking for %s, then null and no error', async (_label, id) => {
      const response = await users.gql(USER_BY_ID, { id: id() }, { token: alice.token });

      expect(response.status).toBe(200);
      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({ user: null });
    });

    test('when a customer reads another account without its email, then name and role are visible', async () => {
      const response = await users.gql('query($id: ID!) { user(id: $id) { id name role } }', { id: bob.user.id }, { token: alice.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.user).toEqual({ id: bob.user.id, name: 'Bob', role: 'CUSTOMER' });
    });

    test("when a customer asks for another account's email, then FORBIDDEN and the user comes back null", async () => {
      const response = await users.gql(USER_BY_ID, { id: bob.user.id }, { token: alice.token });

      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors[0]!.path).toEqual(['user', 'email']);
      expect(response.data).toEqual({ user: null });
      expect(JSON.stringify(response)).not.toContain('bob@example.com');
    });

    test('when a customer reads their own account, then the email is visible', async () => {
      const response = await users.gql(USER_BY_ID, { id: alice.user.id }, { token: alice.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.user).toMatchObject({ id: alice.user.id, email: 'alice@example.com' });
    });

    test('when an admin reads any account, then its email is visible', async () => {
      const response = await users.gql(USER_BY_ID, { id: bob.user.id }, { token: admin.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.user).toEqual({ id: bob.user.id, name: 'Bob', email: 'bob@example.com', role: 'CUSTOMER', status: 'ACTIVE' });
    });
  });

  describe('users (admin listing)', () => {
    test('when a customer lists users, then FORBIDDEN', async () => {
      const response = await users.gql(USERS_PAGE, { first: 5 }, { token: alice.token });

      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.data).toBeNull();
    });

    test('when anonymous lists users, then UNAUTHENTICATED', async () => {
      const response = await users.gql(USERS_PAGE, { first: 5 });

      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });

    test('when an admin pages through with first/after, then every user comes exactly once and totalCount is right', async () => {
      for (let i = 0; i < 5; i++) await signUpCustomer(users);
      const stored = await users.sql.query<{ id: string }>('SELECT id FROM users');
      const total = await countUsers(users);
      expect(total).toBeGreaterThanOrEqual(8);

      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const response: GraphQLTestResponse<{ users: UsersPage }> = await users.gql(
          USERS_PAGE,
          { first: 3, after },
          { token: admin.token },
        );
        expect(response.errors).toEqual([]);
        const page: UsersPage = response.data!.users;
        expect(page.totalCount).toBe(total);
        expect(page.edges.length).toBeLessThanOrEqual(3);
        seen.push(...page.edges.map((edge) => edge.node.id));
        pages += 1;
        if (!page.pageInfo.hasNextPage) break;
        expect(page.edges).toHaveLength(3);
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
        after = page.pageInfo.endCursor;
        expect(pages).toBeLessThan(20);
      }

      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect([...seen].sort()).toEqual(stored.rows.map((row) => row.id).sort());
      expect(pages).toBe(Math.ceil(total / 3));
    });

    test('when first is 0, then an empty page that still knows more follow', async () => {
      const response = await users.gql(USERS_PAGE, { first: 0 }, { token: admin.token });

      expect(response.errors).toEqual([]);
      expect(response.data!.users).toMatchObject({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    });

    test.each([
      ['first: 101', { first: 101 }, 'first'],
      ['first: -1', { first: -1 }, 'first'],
      ['a cursor this API never issued', { first: 2, after: 'bm90LWEtY3Vyc29y' }, 'after'],
    ])('when an admin asks with %s, then BAD_USER_INPUT', async (_label, variables, field) => {
      const response = await users.gql(USERS_PAGE, variables, { token: admin.token });

      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors[0]!.extensions).toMatchObject({ field });
      expect(response.data).toBeNull();
    });
  });

  describe('_entities (how the gateway resolves User references)', () => {
    const aliceRef = () => [{ __typename: 'User', id: alice.user.id }];

    test('when anonymous, then neither name nor email comes back (UNAUTHENTICATED)', async () => {
      const response = await users.gql(ENTITIES('id name email'), { representations: aliceRef() });

      expect(response.status).toBe(200);
      expect(response.errors.length).toBeGreaterThan(0);
      expect(new Set(errorCodes(response))).toEqual(new Set(['UNAUTHENTICATED']));
      expect(response.data).toEqual({ _entities: [null] });
      expect(JSON.stringify(response)).not.toMatch(/alice@example\.com|"Alice"/);
    });

    test('when anonymous asks for the name only, then UNAUTHENTICATED too', async () => {
      const response = await users.gql(ENTITIES('id name'), { representations: aliceRef() });

      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.data).toEqual({ _entities: [null] });
    });

    test('when another customer resolves the entity, then the name is visible', async () => {
      const response = await users.gql(ENTITIES('id name'), { representations: aliceRef() }, { token: bob.token });

      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({ _entities: [{ id: alice.user.id, name: 'Alice' }] });
    });

    test("when another customer asks for the entity's email, then FORBIDDEN and no email", async () => {
      const response = await users.gql(ENTITIES('id name email'), { representations: aliceRef() }, { token: bob.token });

      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors[0]!.path).toEqual(['_entities', 0, 'email']);
      expect(response.data).toEqual({ _entities: [null] });
      expect(JSON.stringify(response)).not.toContain('alice@example.com');
    });

    test.each([
      ['the owner', () => alice.token],
      ['an admin', () => admin.token],
    ])('when %s resolves the entity, then the email is visible', async (_label, token) => {
      const response = await users.gql(ENTITIES('id name email'), { representations: aliceRef() }, { token: token() });

      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({ _entities: [{ id: alice.user.id, name: 'Alice', email: 'alice@example.com' }] });
    });

    test('when representations mix known, unknown, non-UUID and non-string ids, then unknown ones are null and no error 500', async () => {
      const representations = [
        { __typename: 'User', id: alice.user.id },
        { __typename: 'User', id: 'not-a-uuid' },
        { __typename: 'User', id: UNKNOWN_ID },
        { __typename: 'User', id: 42 },
        { __typename: 'User', id: bob.user.id },
      ];

      const response = await users.gql(ENTITIES('id name'), { representations }, { token: admin.token });

      expect(response.status).toBe(200);
      expect(response.errors).toEqual([]);
      expect(response.data).toEqual({
        _entities: [{ id: alice.user.id, name: 'Alice' }, null, null, null, { id: bob.user.id, name: 'Bob' }],
      });
    });

    test('when _service { sdl } is asked anonymously, then the subgraph SDL comes back', async () => {
      const response = await users.gql('{ _service { sdl } }');

      expect(response.errors).toEqual([]);
      expect(response.data!._service.sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
      expect(response.data!._service.sdl).toContain('deleteAccount(id: ID!): Boolean!');
    });
  });

  test('when any of these queries ran, then no unexpected error was masked and logged', () => {
    const internal = users.responses.filter((text) => text.includes('INTERNAL_SERVER_ERROR'));
    const errors = users.logs.lines().filter((line) => line.level === 'error');

    expect(internal).toEqual([]);
    expect(errors).toEqual([]);
  });
});
