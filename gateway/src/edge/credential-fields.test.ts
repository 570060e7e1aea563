import { getOperationAST, parse } from 'graphql';
import { credentialAttempts } from './credential-fields';

function attemptsOf(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return credentialAttempts(document, getOperationAST(document)!, variables);
}

describe('credentialAttempts', () => {
  test('when the email is a literal, then it is read from the input object', () => {
    expect(attemptsOf('mutation { signIn(input: { email: "a@x.io", password: "p" }) { token } }')).toEqual([
      { field: 'signIn', email: 'a@x.io' },
    ]);
  });

  test('when the whole input is a variable, then the email is read from the variables', () => {
    expect(
      attemptsOf('mutation($i: SignUpInput!) { signUp(input: $i) { token } }', { i: { email: 'b@x.io', password: 'p', name: 'B' } }),
    ).toEqual([{ field: 'signUp', email: 'b@x.io' }]);
  });

  test('when the email alone is a variable, then it is read from the variables', () => {
    expect(attemptsOf('mutation($e: String!) { signIn(input: { email: $e, password: "p" }) { token } }', { e: 'c@x.io' })).toEqual([
      { field: 'signIn', email: 'c@x.io' },
    ]);
  });

  test('when signIn is aliased many times and hidden in fragments, then every occurrence counts', () => {
    const attempts = attemptsOf(`
      mutation {
        a: signIn(input: { email: "v@x.io", password: "1" }) { token }
        b: signIn(input: { email: "v@x.io", password: "2" }) { token }
        ... on Mutation { c: signIn(input: { email: "w@x.io", password: "3" }) { token } }
        ...More
      }
      fragment More on Mutation { d: signUp(input: { email: "z@x.io", password: "4", name: "Z" }) { token } }`);

    expect(attempts.map((attempt) => `${attempt.field}:${attempt.email}`)).toEqual([
      'signIn:v@x.io',
      'signIn:v@x.io',
      'signIn:w@x.io',
      'signUp:z@x.io',
    ]);
  });

  test('when the email cannot be read (missing, not a string), then the attempt still counts, without an email', () => {
    expect(attemptsOf('mutation($i: SignInInput!) { signIn(input: $i) { token } }', { i: { email: 42 } })).toEqual([
      { field: 'signIn', email: null },
    ]);
    expect(attemptsOf('mutation($i: SignInInput!) { signIn(input: $i) { token } }')).toEqual([{ field: 'signIn', email: null }]);
  });

  test('when the operation is a query, or a mutation of something else, then there is no attempt', () => {
    expect(attemptsOf('{ me { id } }')).toEqual([]);
    expect(attemptsOf('mutation { updateProfile(input: { name: "x" }) { id } }')).toEqual([]);
  });
});
