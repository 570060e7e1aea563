import type { IncomingMessage } from 'node:http';
import { cookieValue, originMayUseSession, readSession, sessionSetCookie, type SessionCookieOptions } from './session-cookie';
import { sessionChangeOf, sessionRequestHeaders } from './session-forwarding';
import { parse, type OperationDefinitionNode } from 'graphql';

const OPTIONS: SessionCookieOptions = {
  name: 'fedshop_refresh',
  path: '/graphql',
  secure: 'auto',
  allowedOrigins: ['https://shop.example'],
};
const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const operation = (text: string) => parse(text).definitions[0] as OperationDefinitionNode;

describe('session cookie', () => {
  test('when a Cookie header has several cookies, then the named one is read, and a missing one is null', () => {
    expect(cookieValue('a=1; fedshop_refresh=abc; b=2', 'fedshop_refresh')).toBe('abc');
    expect(cookieValue('fedshop_refresh_x=abc', 'fedshop_refresh')).toBeNull();
    expect(cookieValue(undefined, 'fedshop_refresh')).toBeNull();
  });

  test.each([
    ['the same host and port', { origin: 'https://api.example', host: 'api.example' }, true],
    ['the same host on another port', { origin: 'http://localhost:3000', host: 'localhost:4000' }, false],
    ['a configured origin', { origin: 'https://shop.example', host: 'api.example' }, true],
    ['a foreign origin', { origin: 'https://evil.example', host: 'api.example' }, false],
    ['no origin', { host: 'api.example' }, false],
    ['a malformed origin', { origin: 'not a url', host: 'api.example' }, false],
  ])('when the request comes from %s, then it may use the session: %s', (_label, headers, expected) => {
    expect(originMayUseSession(request(headers), OPTIONS.allowedOrigins)).toBe(expected);
  });

  test.each([
    ['localhost:3000', false],
    ['127.0.0.1:4000', false],
    ['[::1]:4000', false],
    ['shop.localhost', false],
    ['shop.example', true],
  ])('when SESSION_COOKIE_SECURE=auto and the Host is %s, then Secure is %s', (host, secure) => {
    expect(readSession(request({ host }), OPTIONS).secure).toBe(secure);
    expect(readSession(request({ host }), { ...OPTIONS, secure: 'true' }).secure).toBe(true);
  });

  test('when a token is set, then the cookie is HttpOnly, SameSite=Strict, for /graphql, expiring with the token', () => {
    const now = new Date('2026-12-07T00:00:00Z');
    const header = sessionSetCookie(
      { kind: 'set', token: 'tok', expiresAt: new Date('2026-12-08T00:00:00Z') },
      { secure: true },
      OPTIONS,
      now,
    );
    expect(header).toBe(
      'fedshop_refresh=tok; Max-Age=86400; Expires=Tue, 08 Dec 2026 00:00:00 GMT; Path=/graphql; HttpOnly; SameSite=Strict; Secure',
    );
    expect(sessionSetCookie({ kind: 'clear' }, { secure: false }, OPTIONS)).toBe(
      'fedshop_refresh=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/graphql; HttpOnly; SameSite=Strict',
    );
  });

  test('when the client operation is a session mutation, then only its subgraph mutation gets the refresh token', () => {
    const refresh = operation('mutation { refreshSession { token } }');
    expect(sessionRequestHeaders(refresh, true, 'tok')).toEqual({ 'x-fedshop-refresh-token': 'tok' });
    expect(sessionRequestHeaders(operation('mutation { ... on Mutation { signOut } }'), true, 'tok')).toEqual({
      'x-fedshop-refresh-token': 'tok',
    });
    // The entity fetches that follow (queries) and other mutations never see it.
    expect(sessionRequestHeaders(refresh, false, 'tok')).toEqual({});
    expect(sessionRequestHeaders(operation('mutation { placeOrder(input: $i) { id } }'), true, 'tok')).toEqual({});
    expect(sessionRequestHeaders(operation('{ me { id } }'), true, 'tok')).toEqual({});
    expect(sessionRequestHeaders(refresh, true, null)).toEqual({});
  });

  test('when a subgraph answers with session headers, then they are read as set or clear; none means no change', () => {
    const headers = (entries: Record<string, string>) => ({ get: (name: string) => entries[name] ?? null });
    expect(sessionChangeOf(headers({ 'x-fedshop-set-refresh-token': 't', 'x-fedshop-refresh-token-expires': '1796688000' }))).toEqual({
      kind: 'set',
      token: 't',
      expiresAt: new Date(1796688000 * 1000),
    });
    expect(sessionChangeOf(headers({ 'x-fedshop-refresh-token-expires': '0' }))).toEqual({ kind: 'clear' });
    expect(sessionChangeOf(headers({}))).toBeNull();
  });
});
