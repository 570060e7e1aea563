import { errorCodes, type GraphQLTestResponse } from '../../../test/support/graphql-client';
import type { Clock } from '../src/use-cases/sign-in-throttle';
import { SIGN_IN, signUpCustomer, startUsersUnderTest, type UsersUnderTest } from './support/start-users-under-test';

/** Small numbers so the whole curve fits in a test: waits from the 2nd failure on (150, 300 ms…), lock at the 4th. */
const POLICY = { SIGN_IN_DELAY_AFTER: '2', SIGN_IN_DELAY_MS: '150', SIGN_IN_LOCK_AFTER: '4', SIGN_IN_LOCK_SECONDS: '600' };

/**
 * The real clock, except that waits are recorded and skipped: the test asserts the waits the
 * throttle asked for, not how long a request took (which a busy CI machine stretches).
 */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, now: () => new Date(), sleep: async (ms) => void waits.push(ms) };
}

describe('users service: sign-in slows down, then locks, after repeated failures', () => {
  let users: UsersUnderTest;
  const clock = recordingClock();
  beforeAll(async () => {
    users = await startUsersUnderTest({ env: POLICY, clock });
  });
  afterAll(async () => {
    await users?.stop();
  });

  /** One sign-in, with the waits the throttle imposed on it. */
  async function attempt(email: string, password: string) {
    const waitsBefore = clock.waits.length;
    const response = await users.gql(SIGN_IN, { input: { email, password } });
    return { response, waits: clock.waits.slice(waitsBefore) };
  }

  /** What a client can see of an answer, minus what legitimately differs between two calls. */
  const visible = (response: GraphQLTestResponse<unknown>) => ({
    status: response.status,
    data: response.data,
    errors: response.errors.map(({ message, extensions }) => ({
      message,
      code: extensions?.code,
      retryAfter: typeof extensions?.retryAfterSeconds === 'number' ? 'set' : undefined,
    })),
  });

  test('when a known and an unknown email fail the same number of times, then every answer and every slowdown is the same, up to the lock', async () => {
    const known = await signUpCustomer(users, { email: 'target@example.com', password: 'the-right-password' });
    const unknown = 'nobody-here@example.com';

    const knownRun = [];
    const unknownRun = [];
    for (let i = 0; i < 5; i++) {
      knownRun.push(await attempt(known.user.email, `wrong-password-${i}`));
      unknownRun.push(await attempt(unknown, `wrong-password-${i}`));
    }

    expect(knownRun.map(({ response }) => visible(response))).toEqual(unknownRun.map(({ response }) => visible(response)));
    expect(knownRun.map(({ response }) => errorCodes(response)[0])).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED', // waited 150 ms
      'UNAUTHENTICATED', // waited 300 ms, and this 4th failure locks
      'RATE_LIMITED',
    ]);
    for (const run of [knownRun, unknownRun]) {
      // The last one is locked: refused at once, without waiting or checking any password.
      expect(run.map(({ waits }) => waits)).toEqual([[], [], [150], [300], []]);
    }
    const locked = knownRun[4]!.response;
    expect(locked.errors[0]!.message).toBe('Too many failed sign-in attempts for this email; try again in 10 minute(s).');
    expect(locked.errors[0]!.extensions!.retryAfterSeconds).toBeGreaterThan(590);
  });

  test('when an email is locked, then even the right password is refused, until the lock ends', async () => {
    const customer = await signUpCustomer(users, { email: 'locked-out@example.com', password: 'the-right-password' });
    for (let i = 0; i < 4; i++) await attempt(customer.user.email, 'wrong-password');

    const refused = await attempt(customer.user.email, 'the-right-password');
    expect(errorCodes(refused.response)).toEqual(['RATE_LIMITED']);
    expect(refused.response.data).toBeNull();

    // The lock ends (as if its 10 minutes had passed).
    await users.sql.query(`UPDATE sign_in_failures SET locked_until = now() - interval '1 second'`);
    const after = await attempt(customer.user.email, 'the-right-password');
    expect(after.response.errors).toEqual([]);
    expect(after.response.data!.signIn.user.id).toBe(customer.user.id);
  });

  test('when the right password comes before the lock, then the failures are forgotten', async () => {
    const customer = await signUpCustomer(users, { email: 'forgetful@example.com', password: 'the-right-password' });
    for (let i = 0; i < 3; i++) await attempt(customer.user.email, 'wrong-password');
    expect((await attempt(customer.user.email, 'the-right-password')).response.errors).toEqual([]);

    const next = await attempt(customer.user.email, 'wrong-password');
    expect(errorCodes(next.response)).toEqual(['UNAUTHENTICATED']);
    expect(next.waits).toEqual([]);
  });

  test('when failures are recorded, then the database holds hashes of emails, never the emails', async () => {
    await attempt('Private.Person@Example.com', 'wrong-password');

    const rows = (await users.sql.query('SELECT email_hash, failures FROM sign_in_failures')).rows as { email_hash: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.email_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toMatch(/@|private/i);
  });

  test('when the same email is spelled in another case with spaces, then it is throttled as one', async () => {
    for (const spelling of ['case@example.com', ' CASE@example.com', 'Case@Example.COM ', 'case@EXAMPLE.com']) {
      await attempt(spelling, 'wrong-password');
    }
    expect(errorCodes((await attempt('case@example.com', 'whatever-password')).response)).toEqual(['RATE_LIMITED']);
  });
});
