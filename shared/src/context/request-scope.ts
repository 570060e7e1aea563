import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What is known about the request being served, wherever in its async call tree we are. Filled
 * in as the request proceeds (the user once the token is verified, the operation once GraphQL
 * has resolved it), so every log line written while serving it can carry them.
 */
export interface RequestScope {
  requestId: string;
  /** The verified viewer's id; unset while anonymous or not yet verified. */
  userId?: string;
  /** The GraphQL operation's name (`anonymous` when unnamed); unset before it is resolved. */
  operationName?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (and everything it awaits) inside the scope of one request. */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Runs `fn` outside any request's scope (work a request merely triggered, e.g. a timer it started). */
export function outsideRequestScope<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The scope of the request being served, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The id of the request being served, if any: used to correlate masked errors and logs. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Records who the request is from, once their token is verified (no-op outside a request). */
export function setRequestUser(userId: string): void {
  const scope = storage.getStore();
  if (scope) scope.userId = userId;
}

/** Records which GraphQL operation the request runs, once resolved (no-op outside a request). */
export function setRequestOperation(operationName: string): void {
  const scope = storage.getStore();
  if (scope) scope.operationName = operationName;
}
