import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the request being served, wherever in its async call tree we are. */
export interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (and everything it awaits) inside the scope of one request. */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The id of the request being served, if any: used to correlate masked errors and logs. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
