import { displayTextProblem, isCanonicalUuid } from '@fedshop/shared/domain';
import { badUserInput } from '@fedshop/shared/errors';

/**
 * Input rules for accounts. Each failure is a BAD_USER_INPUT naming the field; they run
 * before anything is written.
 */

const EMAIL_MAX = 254;
/** Pragmatic address syntax: local@domain.tld, no spaces or control characters. */
const EMAIL_PATTERN =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const PASSWORD_MIN = 8;
/** scrypt is fed the whole password: a cap keeps hashing cost bounded. */
export const PASSWORD_MAX = 1024;
export const NAME_MAX = 100;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Trims and lower-cases an email; emails are stored and compared that way. */
export function normalizeEmail(field: string, raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length === 0 || email.length > EMAIL_MAX || !EMAIL_PATTERN.test(email)) {
    throw badUserInput(field, 'Enter a valid email address.');
  }
  return email;
}

export function checkPassword(field: string, password: string): string {
  if (password.length < PASSWORD_MIN) {
    throw badUserInput(field, `The password must be at least ${PASSWORD_MIN} characters long.`);
  }
  if (password.length > PASSWORD_MAX) {
    throw badUserInput(field, `The password must be at most ${PASSWORD_MAX} characters long.`);
  }
  return password;
}

/** Trims a display name: 1–100 characters, no control characters. */
export function normalizeName(field: string, raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || [...name].length > NAME_MAX) {
    throw badUserInput(field, `The name must be 1 to ${NAME_MAX} characters long.`);
  }
  if (CONTROL_CHARACTERS.test(name)) throw badUserInput(field, 'The name must not contain control characters.');
  const problem = displayTextProblem(name);
  if (problem) throw badUserInput(field, `The name ${problem}.`);
  return name;
}

/** Ids are canonical (lower-case) UUIDs; anything else cannot name an account. */
export function isUserId(value: string): boolean {
  return isCanonicalUuid(value);
}
