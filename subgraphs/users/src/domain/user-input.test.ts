import { AppError } from '@fedshop/shared/errors';
import { checkPassword, NAME_MAX, normalizeEmail, normalizeName, PASSWORD_MAX, PASSWORD_MIN } from './user-input';

/** The AppError `fn` throws (fails the test if it throws anything else or nothing). */
function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the input to be refused');
}

/** An address of exactly `length` characters: a long local part at example.com. */
const emailOfLength = (length: number) => `${'a'.repeat(length - '@example.com'.length)}@example.com`;

describe('normalizeEmail', () => {
  test.each([
    ['Ada@Example.COM', 'ada@example.com'],
    ['  ada@example.com\t\n', 'ada@example.com'],
    ["O'Brien+Shop@Mail.Example.co.UK", "o'brien+shop@mail.example.co.uk"],
    ['first.last-1@sub-domain.example.io', 'first.last-1@sub-domain.example.io'],
  ])('when the email is %j, then it is stored as %j', (raw, expected) => {
    expect(normalizeEmail('input.email', raw)).toBe(expected);
  });

  test('when the email is exactly 254 characters, then it is accepted', () => {
    expect(normalizeEmail('input.email', emailOfLength(254))).toHaveLength(254);
  });

  test('when the email is 254 characters padded with spaces, then it is accepted once trimmed', () => {
    expect(normalizeEmail('input.email', `  ${emailOfLength(254)}  `)).toBe(emailOfLength(254));
  });

  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['without @', 'ada.example.com'],
    ['without a local part', '@example.com'],
    ['without a domain', 'ada@'],
    ['without a TLD', 'ada@localhost'],
    ['with a space in the local part', 'ada lovelace@example.com'],
    ['with a space in the domain', 'ada@exa mple.com'],
    ['with a NUL character', 'ada\u0000@example.com'],
    ['with a trailing NUL character', 'ada@example.com\u0000'],
    ['with an embedded newline (header injection)', 'ada@example.com\nBcc: eve@example.com'],
    ['with two @', 'ada@@example.com'],
    ['with a domain label starting with a dash', 'ada@-example.com'],
    ['with an empty domain label', 'ada@example..com'],
    ['with non-ASCII letters', 'ädä@example.com'],
    ['255 characters long', emailOfLength(255)],
    ['far too long', emailOfLength(10_000)],
  ])('when the email is %s, then it is refused as BAD_USER_INPUT naming the field', (_label, raw) => {
    const error = refusal(() => normalizeEmail('input.email', raw));

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details.field).toBe('input.email');
    expect(error.message).toBe('Enter a valid email address.');
  });

  test('when the field name differs (sign-in form), then the error names that field', () => {
    expect(refusal(() => normalizeEmail('credentials.email', 'nope')).details.field).toBe('credentials.email');
  });
});

describe('checkPassword', () => {
  test('when the password has exactly the minimum length, then it is accepted unchanged', () => {
    expect(PASSWORD_MIN).toBe(8);
    expect(checkPassword('input.password', 'abcdefgh')).toBe('abcdefgh');
  });

  test('when the password has exactly the maximum length, then it is accepted', () => {
    expect(PASSWORD_MAX).toBe(1024);
    expect(checkPassword('input.password', 'p'.repeat(1024))).toHaveLength(1024);
  });

  test('when the password has surrounding spaces, then they are kept (passwords are never trimmed)', () => {
    expect(checkPassword('input.password', '  secret pass  ')).toBe('  secret pass  ');
  });

  test.each([
    ['empty', '', 'at least 8'],
    ['7 characters', 'abcdefg', 'at least 8'],
    ['1025 characters', 'p'.repeat(1025), 'at most 1024'],
  ])('when the password is %s, then it is refused as BAD_USER_INPUT naming the field', (_label, password, bound) => {
    const error = refusal(() => checkPassword('input.password', password));

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details.field).toBe('input.password');
    expect(error.message).toContain(bound);
    expect(error.message).not.toContain(password || '\u0000');
  });
});

describe('normalizeName', () => {
  test.each([
    ['  Ada Lovelace  ', 'Ada Lovelace'],
    ['\tGrace\n', 'Grace'],
    ['X', 'X'],
    ['Zoë Ñúñez-O’Hara', 'Zoë Ñúñez-O’Hara'],
  ])('when the name is %j, then it is stored trimmed as %j', (raw, expected) => {
    expect(normalizeName('input.name', raw)).toBe(expected);
  });

  test('when the name has exactly 100 characters, then it is accepted', () => {
    expect(NAME_MAX).toBe(100);
    expect(normalizeName('input.name', 'n'.repeat(100))).toHaveLength(100);
  });

  test('when the name is 100 emoji (200 UTF-16 units), then it is accepted: length counts code points', () => {
    const name = '🙂'.repeat(100);

    expect(name.length).toBe(200);
    expect(normalizeName('input.name', name)).toBe(name);
  });

  test('when the name is 100 characters padded with spaces, then it is accepted once trimmed', () => {
    expect(normalizeName('input.name', `   ${'n'.repeat(100)}   `)).toBe('n'.repeat(100));
  });

  test.each([
    ['empty', '', 'must be 1 to 100'],
    ['only whitespace', ' \t\n ', 'must be 1 to 100'],
    ['101 characters', 'n'.repeat(101), 'must be 1 to 100'],
    ['101 emoji', '🙂'.repeat(101), 'must be 1 to 100'],
    ['with a NUL', 'Ada\u0000Lovelace', 'control characters'],
    ['with an inner newline', 'Ada\nLovelace', 'control characters'],
    ['with an inner tab', 'Ada\tLovelace', 'control characters'],
    ['with DEL', 'Ada\u007f', 'control characters'],
    ['with a C1 control (NEL)', 'Ada\u0085Lovelace', 'control characters'],
    ['with an escape sequence', 'Ada\u001b[31mRed', 'control characters'],
  ])('when the name is %s, then it is refused as BAD_USER_INPUT naming the field', (_label, raw, message) => {
    const error = refusal(() => normalizeName('input.name', raw));

    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details.field).toBe('input.name');
    expect(error.message).toContain(message);
  });
});
