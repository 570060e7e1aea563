import { errorCodes } from '../../../test/support/graphql-client';
import {
  countUsers,
  SIGN_IN,
  SIGN_UP,
  signInAdmin,
  signUpCustomer,
  startUsersUnderTest,
  type SignedIn,
  type UsersUnderTest,
} from './support/start-users-under-test';

describe('users service: signUp and signIn', () => {
  let users: UsersUnderTest;
  beforeAll(async () => {
    users = await startUsersUnderTest();
  });
  afterAll(async () => {
    await users?.stop();
  });

  describe('signUp', () => {
    test('when an anonymous caller signs up, then a token and the user come back, own email included', async () => {
      const response = await users.gql<{ signUp: SignedIn & { user: { createdAt: string } } }>(SIGN_UP, {
        input: { email: 'ada@example.com', password: 'analytical-engine', name: 'Ada Lovelace' },
      });

      expect(response.errors).toEqual([]);
      const { token, user } = response.data!.signUp;
      expect(token.split('.')).toHaveLength(3);
      expect(user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        role: 'CUSTOMER',
        status: 'ACTIVE',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      const me = await users.gql<{ me: { id: string; email: string } }>('{ me { id email } }', {}, { token });
      expect(me.data!.me).toEqual({ id: user.id, email: 'ada@example.com' });
    });

    test('when the email has capitals and spaces around it, then it is stored lower-case and trimmed', async () => {
      const response = await users.gql(SIGN_UP, {
        input: { email: '  Grace.Hopper@Example.COM \t', password: 'cobol-rules', name: '  Grace  ' },
      });

      expect(response.errors).toEqual([]);
      expect(response.data!.signUp.user).toMatchObject({ email: 'grace.hopper@example.com', name: 'Grace' });
      const rows = await users.sql.query('SELECT email, name FROM users WHERE id = $1', [response.data!.signUp.user.id]);
      expect(rows.rows).toEqual([{ email: 'grace.hopper@example.com', name: 'Grace' }]);
    });

    const invalidInputs: { label: string; input: { email?: string; password?: string; name?: string }; field: string }[] = [
      { label: 'an email without @', input: { email: 'not-an-email' }, field: 'input.email' },
      { label: 'an email without a domain', input: { email: 'someone@' }, field: 'input.email' },
      { label: 'an email without a dot in the domain', input: { email: 'someone@localhost' }, field: 'input.email' },
      { label: 'an email with a space inside', input: { email: 'some one@example.com' }, field: 'input.email' },
      { label: 'a blank email', input: { email: '   ' }, field: 'input.email' },
      { label: 'an email of 255 characters', input: { email: `${'a'.repeat(243)}@example.com` }, field: 'input.email' },
      { label: 'a password of 7 characters', input: { password: 'seven77' }, field: 'input.password' },
      { label: 'an empty name', input: { name: '' }, field: 'input.name' },
      { label: 'a whitespace-only name', input: { name: ' \t  ' }, field: 'input.name' },
      { label: 'a name of 101 characters', input: { name: 'n'.repeat(101) }, field: 'input.name' },
      { label: 'a name with a NUL character', input: { name: 'Bad\u0000Name' }, field: 'input.name' },
    ];
    test.each(invalidInputs)(
      'when signing up with $label, then BAD_USER_INPUT names $field and no row is created',
      async ({ input, field }) => {
        const email = `invalid-${field}-${Math.random().toString(36).slice(2)}@example.com`;
        const before = await countUsers(users);

        const response = await users.gql(SIGN_UP, {
          input: { email, password: 'long-enough-password', name: 'Valid Name', ...input },
        });

        expect(response.data).toBeNull();
        expect(response.errors).toHaveLength(1);
        expect(response.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
        expect(await countUsers(users)).toBe(before);
      },
    );

    test('when a name is exactly 100 characters after trimming, then it is accepted', async () => {
      const name = 'n'.repeat(100);
      const response = await users.gql(SIGN_UP, { input: { email: 'hundred@example.com', password: 'long-enough', name: `  ${name}  ` } });

      expect(response.errors).toEqual([]);
      expect(response.data!.signUp.user.name).toBe(name);
    });

    test('when the email is already taken in another case, then CONFLICT and still one row', async () => {
      await signUpCustomer(users, { email: 'taken@example.com' });

      const response = await users.gql(SIGN_UP, { input: { email: 'TAKEN@Example.com', password: 'another-password', name: 'Copycat' } });

      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors[0]!.extensions).toMatchObject({ field: 'input.email' });
      expect(await countUsers(users, 'taken@example.com')).toBe(1);
    });
  });

  describe('signIn', () => {
    test('when the password is right, then a token for that user comes back whatever the email case', async () => {
      const customer = await signUpCustomer(users, { email: 'linus@example.com', password: 'penguins-rule' });

      for (const email of ['linus@example.com', 'LINUS@EXAMPLE.COM', '  Linus@Example.com ']) {
        const response = await users.gql<{ signIn: SignedIn }>(SIGN_IN, { input: { email, password: 'penguins-rule' } });
        expect(response.errors).toEqual([]);
        expect(response.data!.signIn.user).toMatchObject({ id: customer.user.id, email: 'linus@example.com' });
        const me = await users.gql('{ me { id } }', {}, { token: response.data!.signIn.token });
        expect(me.data!.me).toEqual({ id: customer.user.id });
      }
    });

    test('when the password is wrong or the email unknown, then both answer the exact same UNAUTHENTICATED error', async () => {
      await signUpCustomer(users, { email: 'margaret@example.com', password: 'apollo-guidance' });

      const wrongPassword = await users.gql(SIGN_IN, { input: { email: 'margaret@example.com', password: 'wrong-password' } });
      const unknownEmail = await users.gql(SIGN_IN, { input: { email: 'nobody@example.com', password: 'apollo-guidance' } });
      const malformedEmail = await users.gql(SIGN_IN, { input: { email: 'not an email', password: 'x' } });

      expect(errorCodes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
      expect(wrongPassword.data).toBeNull();
      const strip = (r: typeof wrongPassword) => ({ status: r.status, data: r.data, errors: r.errors });
      expect(strip(unknownEmail)).toEqual(strip(wrongPassword));
      expect(strip(malformedEmail)).toEqual(strip(wrongPassword));
    });

    test('when a suspended account signs in with the right password, then FORBIDDEN and no token', async () => {
      const customer = await signUpCustomer(users);
      const admin = await signInAdmin(users);
      const suspended = await users.gql(
        'mutation($id: ID!) { suspendUser(id: $id) { status } }',
        { id: customer.user.id },
        { token: admin.token },
      );
      expect(suspended.data!.suspendUser.status).toBe('SUSPENDED');

      const response = await users.gql(SIGN_IN, { input: { email: customer.user.email, password: customer.password } });

      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.data).toBeNull();
      const wrongPassword = await users.gql(SIGN_IN, { input: { email: customer.user.email, password: 'not-the-password' } });
      expect(errorCodes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
    });
  });

  test('when accounts sign up, sign in and are read every way, then the password hash is in no response, and neither it, the password nor the email in any log line', async () => {
    const password = 'secret-never-logged';
    const customer = await signUpCustomer(users, { email: 'hash-check@example.com', password });
    const admin = await signInAdmin(users);
    await users.gql(SIGN_IN, { input: { email: 'hash-check@example.com', password } });
    await users.gql(SIGN_IN, { input: { email: 'hash-check@example.com', password: 'wrong-password' } });
    await users.gql('{ me { id name email role status createdAt } }', {}, { token: customer.token });
    await users.gql('query($id: ID!) { user(id: $id) { id name email } }', { id: customer.user.id }, { token: admin.token });
    await users.gql('{ users(first: 100) { edges { node { id name email role status } } } }', {}, { token: admin.token });
    await users.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }',
      { r: [{ __typename: 'User', id: customer.user.id }] },
      { token: admin.token },
    );
    const asField = await users.gql('{ me { passwordHash } }', {}, { token: customer.token });
    expect(errorCodes(asField)).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const stored = await users.sql.query<{ email: string; password_hash: string }>('SELECT email, password_hash FROM users');
    const hashes = stored.rows.map((row) => row.password_hash);
    expect(hashes.length).toBeGreaterThanOrEqual(2);
    const secrets = hashes.flatMap((hash) => [hash, ...hash.split('$').slice(4)]);
    const logText = users.logs.lines().map((line) => JSON.stringify(line));
    expect(logText.length).toBeGreaterThan(0);
    for (const secret of [...secrets, password]) {
      expect(users.responses.filter((text) => text.includes(secret))).toEqual([]);
      expect(logText.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(users.responses.filter((text) => /password_?hash/i.test(text) && !text.includes('Cannot query field'))).toEqual([]);
    expect(logText.filter((line) => line.includes('hash-check@example.com'))).toEqual([]);
  });
});
