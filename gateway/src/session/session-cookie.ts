import type { IncomingMessage } from 'node:http';
import type { SessionCookieChange } from '@fedshop/shared/auth';

/** How the gateway keeps a browser session's refresh token (README, Sessions). */
export interface SessionCookieOptions {
  /** Cookie name. Default `fedshop_refresh`. */
  name: string;
  /** The only path the browser sends it to: the GraphQL endpoint. Default `/graphql`. */
  path: string;
  /**
   * `auto` (default): `Secure` unless the request's Host is a loopback name (http://localhost
   * in development); `true`: always `Secure`; `false`: never (only behind a TLS-terminating proxy
   * that hides the scheme and on a loopback name, which `auto` already covers).
   */
  secure: 'auto' | 'true' | 'false';
  /** Origins other than the gateway's own whose requests may use the cookie (CORS_ORIGINS when it is a list). */
  allowedOrigins: string[];
}

/** The request's view of its session cookie, and what the users service decided for it. */
export interface GatewaySession {
  /** The cookie's refresh token when this request may use it (its Origin is the gateway's own or allowed); else null. */
  refreshToken: string | null;
  /** Whether a cookie set in answer gets `Secure`. */
  secure: boolean;
  /** Set by the users subgraph's answer (new token, or session ended); the session cookie plugin writes it. */
  change: SessionCookieChange | null;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
}

function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = hostName(host.toLowerCase());
  return LOOPBACK_HOSTS.has(name) || name.endsWith('.localhost');
}

/** One cookie's value from a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}

/**
 * CSRF defence for a credential the browser attaches by itself: the cookie counts only on a
 * request whose `Origin` is the gateway's own (same host and port as the request's Host) or one
 * of the configured origins. Browsers send Origin with every POST, so a request without one is
 * no browser's and does not get to use a browser's cookie either. This comes on top of
 * SameSite=Strict (no cross-site request carries the cookie) and Apollo's CSRF prevention
 * (every accepted POST is JSON or carries a custom header, hence preflighted cross-origin).
 */
export function originMayUseSession(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return false;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host?.toLowerCase();
  } catch {
    return false;
  }
}

/** The session part of a request's context. */
export function readSession(req: IncomingMessage, options: SessionCookieOptions): GatewaySession {
  const token = cookieValue(req.headers.cookie, options.name);
  return {
    refreshToken: token && originMayUseSession(req, options.allowedOrigins) ? token : null,
    secure: options.secure === 'true' || (options.secure === 'auto' && !isLoopbackHost(req.headers.host)),
    change: null,
  };
}

/**
 * The Set-Cookie header for a change: HttpOnly (no script reads it), SameSite=Strict (no
 * cross-site request carries it), Path=/graphql (no other path of the site receives it),
 * Secure except on http://localhost; expiring with the refresh token.
 */
export function sessionSetCookie(
  change: SessionCookieChange,
  session: Pick<GatewaySession, 'secure'>,
  options: SessionCookieOptions,
  now = new Date(),
): string {
  const attributes = [`Path=${options.path}`, 'HttpOnly', 'SameSite=Strict', ...(session.secure ? ['Secure'] : [])];
  if (change.kind === 'clear') {
    return [`${options.name}=`, 'Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', ...attributes].join('; ');
  }
  const maxAge = Math.max(0, Math.floor((change.expiresAt.getTime() - now.getTime()) / 1000));
  return [`${options.name}=${change.token}`, `Max-Age=${maxAge}`, `Expires=${change.expiresAt.toUTCString()}`, ...attributes].join('; ');
}
