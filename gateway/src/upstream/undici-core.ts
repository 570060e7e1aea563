import type { Agent as UndiciAgent, Dispatcher } from 'undici';

/**
 * The two parts of undici the gateway uses, its connection pool (`Agent`) and its `request` API,
 * loaded from undici's own files instead of its index. The index also loads fetch, WebSocket,
 * EventSource, the cache stores, the mock agents and Node's bundled copy of undici (about 85 more
 * modules), which a process that never calls them still holds in memory
 * (docs/adr/0010-gateway-memory.md). Every use of undici in the gateway goes through this module.
 *
 * The paths are undici 7's (`lib/dispatcher/agent.js`, `lib/api/api-request.js`); an undici
 * upgrade that moves them fails the gateway's start and its tests at once, not at the first call.
 */
export type Agent = UndiciAgent;
export type ResponseData = Dispatcher.ResponseData;

/** undici's `Agent` class (keep-alive pools per origin). */
export const Agent = require('undici/lib/dispatcher/agent') as typeof UndiciAgent;

// The index attaches this to Dispatcher.prototype as `dispatcher.request`; called on the agent here instead.
const dispatchRequest = require('undici/lib/api/api-request') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

export interface RequestOptions {
  /** The pool that sends it (required: no global dispatcher is created). */
  dispatcher: Dispatcher;
  /** Default GET. */
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * undici's `request(url, options)`, as its index exports it: one HTTP request through
 * `options.dispatcher`, resolving once the status and headers are in (the body is a stream to
 * read or dump). Rejects with the transport's error, or the signal's reason when aborted.
 */
export function request(url: string | URL, options: RequestOptions): Promise<ResponseData> {
  const target = typeof url === 'string' ? new URL(url) : url;
  return dispatchRequest.call(options.dispatcher, {
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    signal: options.signal,
  });
}
