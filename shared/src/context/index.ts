/** The request scope: request id, viewer and operation of the request being served. */
export * from './request-scope';
