/**
 * Sessions in the users subgraph: refresh tokens stored hashed, single use, rotated, a reused
 * one revoking its family, revoked on sign-out, suspension and deletion. The subgraph is
 * called the way the gateway calls it: the refresh token in REFRESH_TOKEN_HEADER, the next one
 * back in SET_REFRESH_TOKEN_HEADER (never in the body).
 */
import { createHash } from 'node:crypto';
import { REFRESH_TOKEN_EXPIRES_HEADER, REFRESH_TOKEN_HEADER, SET_REFRESH_TOKEN_HEADER } from '@fedshop/shared/auth';
import { errorCodes, type GraphQLTestResponse } from '../../../test/support/graphql-client';
import type { Clock } from '../src/use-cases/sign-in-throttle';
import { SIGN_IN, signInAdmin, signUpCustomer, startUsersUnderTest, type UsersUnderTest } from './support/start-users-under-test';

const REFRESH = /* GraphQL */ `
  mutation Refresh {
    refreshSession {
      token
      expiresAt
      user {
        id
        email
      }
    }
  }
`;
const SIGN_OUT = /* GraphQL */ `
  mutation {
    signOut
  }
`;
const SUSPEND_USER = /* GraphQL */ `
  mutation ($id: ID!) {
    suspendUser(id: $id) {
      id
      status
    }
  }
`;
const DELETE_ACCOUNT = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteAccount(id: $id)
  }
`;
const TTL_SECONDS = 3600;

/** Wall-clock time plus an offset the test moves forward. */
const clock: Clock & { advance(seconds: number): void } = {
  offsetMs: 0,
  now() {
    return new Date(Date.now() + this.offsetMs);
  },
  sleep: () => Promise.resolve(),
  advance(seconds: number) {
    this.offsetMs += seconds * 1000;
  },
} as Clock & { advance(seconds: number): void; offsetMs: number };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('users service: sessions (refresh tokens)', () => {
  let users: UsersUnderTest;

  beforeAll(async () => {
    users = await startUsersUnderTest({ env: { REFRESH_TOKEN_TTL_SECONDS: String(TTL_SECONDS) }, clock });
  });
  afterAll(async () => {
    await users?.stop();
  });

  function issued(response: GraphQLTestResponse<unknown>): string | null {
    return response.headers.get(SET_REFRESH_TOKEN_HEADER);
  }

  /** Signs a customer in through signIn and returns the refresh token the subgraph handed out. */
  async function signedInSession() {
    const customer = await signUpCustomer(users);
    const response = await users.gql(SIGN_IN, { input: { email: customer.user.email, password: customer.password } });
    const refreshToken = issued(response);
    if (!refreshToken) throw new Error(`no refresh token: ${JSON.stringify(response.errors)}`);
    return { customer, refreshToken };
  }

  const refresh = (token: string | null) =>
    users.gql<{ refreshSession: { token: string; expiresAt: string; user: { id: string; email: string } } }>(
      REFRESH,
      {},
      { headers: token === null ? {} : { [REFRESH_TOKEN_HEADER]: token } },
    );

  async function storedTokens(userId: string) {
    const result = await users.sql.query<{ token_hash: string; family_id: string; used_at: Date | null; revoked_at: Date | null }>(
      'SELECT token_hash, family_id, used_at, revoked_at FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    return result.rows;
  }

  test('when a customer signs up or signs in, then a refresh token comes back in a header, never in the body, and only its hash is stored', async () => {
    const customer = await signUpCustomer(users);
    const signIn = await users.gql(SIGN_IN, { input: { email: customer.user.email, password: customer.password } });

    const token = issued(signIn);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(signIn.headers.get(REFRESH_TOKEN_EXPIRES_HEADER))).toBeGreaterThan(Date.now() / 1000 + TTL_SECONDS - 60);
    expect(JSON.stringify(signIn.data)).not.toContain(token);
    const stored = await storedTokens(customer.user.id);
    // One family per sign-in: the sign-up's and the sign-in's.
    expect(stored).toHaveLength(2);
    expect(new Set(stored.map((row) => row.family_id)).size).toBe(2);
    expect(stored.map((row) => row.token_hash)).toContain(sha256(token!));
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  test('when the refresh token is exchanged, then a new access token and a new refresh token come back, and the old one is spent', async () => {
    const { customer, refreshToken } = await signedInSession();

    const response = await refresh(refreshToken);

    expect(response.errors).toEqual([]);
    expect(response.data!.refreshSession.user).toEqual({ id: customer.user.id, email: customer.user.email });
    expect(new Date(response.data!.refreshSession.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const next = issued(response);
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(refreshToken);
    const me = await users.gql('{ me { id } }', {}, { token: response.data!.refreshSession.token });
    expect(me.data).toEqual({ me: { id: customer.user.id } });
    const rows = await storedTokens(customer.user.id);
    expect(rows.find((row) => row.token_hash === sha256(refreshToken))?.used_at).toBeInstanceOf(Date);
    expect(rows.find((row) => row.token_hash === sha256(next!))).toMatchObject({ used_at: null, revoked_at: null });
  });

  test('when a spent refresh token is presented again, then UNAUTHENTICATED, the cookie is cleared, and the newer token of its session stops working too', async () => {
    const { customer, refreshToken } = await signedInSession();
    const next = issued(await refresh(refreshToken))!;

    const replay = await refresh(refreshToken);

    expect(errorCodes(replay)).toEqual(['UNAUTHENTICATED']);
    expect(issued(replay)).toBeNull();
    expect(replay.headers.get(REFRESH_TOKEN_EXPIRES_HEADER)).toBe('0');
    expect(errorCodes(await refresh(next))).toEqual(['UNAUTHENTICATED']);
    const rows = await storedTokens(customer.user.id);
    const family = rows.find((row) => row.token_hash === sha256(refreshToken))!.family_id;
    expect(rows.filter((row) => row.family_id === family).every((row) => row.revoked_at !== null)).toBe(true);
    // The other session of the account (its sign-up) is untouched.
    expect(rows.filter((row) => row.family_id !== family).every((row) => row.revoked_at === null)).toBe(true);
  });

  test('when two refreshes race with the same token, then one succeeds and the other is reuse: the session ends', async () => {
    const { refreshToken } = await signedInSession();

    const [first, second] = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);

    expect([...errorCodes(first), ...errorCodes(second)]).toEqual(['UNAUTHENTICATED']);
    const winner = first.errors.length === 0 ? first : second;
    expect(errorCodes(await refresh(issued(winner)!))).toEqual(['UNAUTHENTICATED']);
  });

  test('when the customer signs out, then the session is revoked and the cookie cleared; signing out again is fine', async () => {
    const { refreshToken } = await signedInSession();
    const next = issued(await refresh(refreshToken))!;

    const signOut = await users.gql(SIGN_OUT, {}, { headers: { [REFRESH_TOKEN_HEADER]: next } });

    expect(signOut.data).toEqual({ signOut: true });
    expect(signOut.headers.get(REFRESH_TOKEN_EXPIRES_HEADER)).toBe('0');
    expect(errorCodes(await refresh(next))).toEqual(['UNAUTHENTICATED']);
    expect((await users.gql(SIGN_OUT, {}, { headers: { [REFRESH_TOKEN_HEADER]: next } })).data).toEqual({ signOut: true });
    expect((await users.gql(SIGN_OUT)).data).toEqual({ signOut: true });
  });

  test('when an admin suspends the account, then none of its sessions can be refreshed', async () => {
    const { customer, refreshToken } = await signedInSession();
    const admin = await signInAdmin(users);

    expect((await users.gql(SUSPEND_USER, { id: customer.user.id }, { token: admin.token })).errors).toEqual([]);

    expect(errorCodes(await refresh(refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect((await storedTokens(customer.user.id)).every((row) => row.revoked_at !== null)).toBe(true);
  });

  test('when the account is deleted, then its refresh tokens are gone and refreshing fails', async () => {
    const { customer, refreshToken } = await signedInSession();

    expect((await users.gql(DELETE_ACCOUNT, { id: customer.user.id }, { token: customer.token })).data).toEqual({ deleteAccount: true });

    expect(await storedTokens(customer.user.id)).toEqual([]);
    expect(errorCodes(await refresh(refreshToken))).toEqual(['UNAUTHENTICATED']);
  });

  test('when a refresh token outlives REFRESH_TOKEN_TTL_SECONDS unused, then it is refused and nothing is issued', async () => {
    const { refreshToken } = await signedInSession();
    clock.advance(TTL_SECONDS + 1);
    try {
      const response = await refresh(refreshToken);

      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(issued(response)).toBeNull();
    } finally {
      clock.advance(-(TTL_SECONDS + 1));
    }
  });

  test.each([
    ['no refresh token', null],
    ['a malformed one', 'not-a-token'],
    ['an unknown one', 'A'.repeat(43)],
  ])('when refreshing with %s, then UNAUTHENTICATED and nothing is issued', async (_label, token) => {
    const response = await refresh(token);

    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(issued(response)).toBeNull();
  });
});
