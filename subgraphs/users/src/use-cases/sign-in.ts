import { forbidden, unauthenticated } from '@fedshop/shared';
import { checkPassword, normalizeEmail } from '../domain/user-input';
import type { UsersDependencies } from './dependencies';
import type { AuthResult } from './sign-up';

export interface SignInInput {
  email: string;
  password: string;
}

const WRONG_CREDENTIALS = 'The email or password is incorrect.';

/**
 * Checks the credentials and issues a token. An unknown email and a wrong password get the
 * same answer after the same amount of work, so sign-in cannot tell which emails exist.
 */
export async function signIn(deps: UsersDependencies, input: SignInInput): Promise<AuthResult> {
  let email: string;
  try {
    email = normalizeEmail('input.email', input.email);
    checkPassword('input.password', input.password);
  } catch {
    // Malformed credentials cannot match any account: same answer as a wrong password.
    await deps.passwords.verifyAgainstNothing(input.password.slice(0, 1024));
    throw unauthenticated(WRONG_CREDENTIALS);
  }
  const account = await deps.users.findByEmailWithCredentials(email);
  if (!account) {
    await deps.passwords.verifyAgainstNothing(input.password);
    throw unauthenticated(WRONG_CREDENTIALS);
  }
  if (!(await deps.passwords.verify(input.password, account.passwordHash))) throw unauthenticated(WRONG_CREDENTIALS);
  // Only the account's owner (right password) learns it is suspended.
  if (account.status === 'SUSPENDED') throw forbidden('This account is suspended.');
  const { passwordHash: _passwordHash, ...user } = account;
  return { token: await deps.tokens.issue(user), user };
}
