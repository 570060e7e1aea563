import { forbidden, unauthenticated } from '@fedshop/shared/errors';
import { checkPassword, normalizeEmail } from '../domain/user-input';
import type { UsersDependencies } from './dependencies';
import { startSession, type AuthResult } from './sessions';

export interface SignInInput {
  email: string;
  password: string;
}

const WRONG_CREDENTIALS = 'The email or password is incorrect.';

/**
 * Checks the credentials and starts a session (access and refresh token). An unknown email and a wrong password get the
 * same answer after the same amount of work, so sign-in cannot tell which emails exist; the
 * same holds under repeated failures: every email, known or not, slows down and then locks
 * the same way (sign-in-throttle.ts).
 */
export async function signIn(deps: UsersDependencies, input: SignInInput): Promise<AuthResult> {
  await deps.signInThrottle.beforeAttempt(input.email);
  const fail = async (): Promise<never> => {
    await deps.signInThrottle.recordFailure(input.email);
    throw unauthenticated(WRONG_CREDENTIALS);
  };
  let email: string;
  try {
    email = normalizeEmail('input.email', input.email);
    checkPassword('input.password', input.password);
  } catch {
    // Malformed credentials cannot match any account: same answer as a wrong password.
    await deps.passwords.verifyAgainstNothing(input.password.slice(0, 1024));
    return fail();
  }
  const account = await deps.users.findByEmailWithCredentials(email);
  if (!account) {
    await deps.passwords.verifyAgainstNothing(input.password);
    return fail();
  }
  if (!(await deps.passwords.verify(input.password, account.passwordHash))) return fail();
  await deps.signInThrottle.recordSuccess(input.email);
  // Only the account's owner (right password) learns it is suspended.
  if (account.status === 'SUSPENDED') throw forbidden('This account is suspended.');
  const { passwordHash: _passwordHash, ...user } = account;
  return startSession(deps, user);
}
