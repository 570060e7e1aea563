import { conflict } from '@fedshop/shared/errors';
import type { User } from '../domain/user';
import { checkPassword, normalizeEmail, normalizeName } from '../domain/user-input';
import { EmailTakenError } from '../repositories/user-repository';
import type { UsersDependencies } from './dependencies';
import { startSession, type AuthResult } from './sessions';

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

export type { AuthResult } from './sessions';

/** Creates a CUSTOMER account and signs it in (a new session). A taken email (any case) is a CONFLICT. */
export async function signUp(deps: UsersDependencies, input: SignUpInput): Promise<AuthResult> {
  const email = normalizeEmail('input.email', input.email);
  const password = checkPassword('input.password', input.password);
  const name = normalizeName('input.name', input.name);
  const passwordHash = await deps.passwords.hash(password);
  let user: User;
  try {
    user = await deps.users.create({ email, name, passwordHash });
  } catch (error) {
    if (error instanceof EmailTakenError) {
      throw conflict('An account with this email already exists.', { field: 'input.email' });
    }
    throw error;
  }
  return startSession(deps, user);
}
