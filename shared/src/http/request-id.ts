import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header carrying a request's id; taken from the client when sane, else generated. */
export const REQUEST_ID_HEADER = 'x-request-id';
// Whatever a client sends ends up in log lines and in the requests sent on its behalf.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's (a proxy's, another service's) when sane, so one id follows the request everywhere. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
