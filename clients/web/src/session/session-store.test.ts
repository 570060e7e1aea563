import type { SessionFieldsFragment } from '../graphql/generated/graphql';
import { SessionStore } from './session-store';

const USER = {
  __typename: 'User',
  id: 'u1',
  name: 'Ada',
  email: 'ada@example.com',
  role: 'CUSTOMER',
  status: 'ACTIVE',
  tier: 'STANDARD',
  lifetimeSpendCents: 0,
  createdAt: '2026-12-07T00:00:00.000Z',
} as const;

function payload(token: string, expiresAtMs: number): SessionFieldsFragment {
  return { __typename: 'AuthPayload', token, expiresAt: new Date(expiresAtMs).toISOString(), user: USER } as SessionFieldsFragment;
}

describe('storefront: the session in memory', () => {
  let now = Date.parse('2026-12-07T12:00:00Z');
  const clock = () => now;

  test('when the page loads with a session cookie, then restore turns it into an access token', async () => {
    const refresh = jest.fn(async () => payload('fresh', now + 900_000));
    const store = new SessionStore({ refresh, signOut: jest.fn() }, clock);

    await store.restore();

    expect(store.getState()).toEqual({ status: 'signed-in', user: USER });
    expect(await store.currentAccessToken()).toBe('fresh');
  });

  test('when there is no session, then restore leaves the visitor anonymous (not "ended")', async () => {
    const store = new SessionStore({ refresh: async () => Promise.reject(new Error('UNAUTHENTICATED')), signOut: jest.fn() }, clock);

    await store.restore();

    expect(store.getState()).toEqual({ status: 'anonymous', ended: false });
  });

  test('when the access token expires within a minute, then it is refreshed before use, once for concurrent requests', async () => {
    let calls = 0;
    const store = new SessionStore({ refresh: async () => payload(`token-${++calls}`, now + 900_000), signOut: jest.fn() }, clock);
    store.start(payload('old', now + 30_000));

    const tokens = await Promise.all([store.currentAccessToken(), store.currentAccessToken(), store.currentAccessToken()]);

    expect(tokens).toEqual(['token-1', 'token-1', 'token-1']);
    expect(calls).toBe(1);
  });

  test('when a refresh fails for a signed-in shopper, then the session has ended (sign in again)', async () => {
    const store = new SessionStore({ refresh: async () => Promise.reject(new Error('UNAUTHENTICATED')), signOut: jest.fn() }, clock);
    store.start(payload('old', now + 900_000));

    expect(await store.refresh()).toBe(false);

    expect(store.getState()).toEqual({ status: 'anonymous', ended: true });
    expect(await store.currentAccessToken()).toBeNull();
  });

  test('when the shopper signs out, then the server is told and the token is forgotten even if that call fails', async () => {
    const store = new SessionStore({ refresh: jest.fn(), signOut: async () => Promise.reject(new Error('offline')) }, clock);
    store.start(payload('secret', now + 900_000));

    await expect(store.signOut()).rejects.toThrow('offline');

    expect(await store.currentAccessToken()).toBeNull();
    expect(store.getState()).toEqual({ status: 'anonymous', ended: false });
  });
});
