import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors/app-error';
import { fromGrpcError, toGrpcStatus } from './grpc-status';

/** What a grpc-js client receives when the server answers with `partial` (grpc-js builds the same shape). */
function serviceErrorFrom(partial: Partial<StatusObject>): ServiceError {
  const code = partial.code ?? status.UNKNOWN;
  const details = partial.details ?? '';
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: partial.metadata ?? new Metadata(),
  });
}

/** Codes whose message crosses unchanged (SERVICE_UNAVAILABLE rides on UNAVAILABLE, answered generically). */
const PASSABLE_CODES = ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR' && code !== 'SERVICE_UNAVAILABLE');

describe('toGrpcStatus and fromGrpcError', () => {
  test.each(PASSABLE_CODES)('when an AppError %s crosses gRPC, then the client gets the same code and message back', (code) => {
    const sent = new AppError(code, `Something about ${code}.`);

    const received = fromGrpcError(serviceErrorFrom(toGrpcStatus(sent)), 'users');

    expect(received).toBeInstanceOf(AppError);
    expect(received.code).toBe(code);
    expect(received.message).toBe(`Something about ${code}.`);
  });

  test.each([
    ['UNAUTHENTICATED', status.UNAUTHENTICATED],
    ['FORBIDDEN', status.PERMISSION_DENIED],
    ['NOT_FOUND', status.NOT_FOUND],
    ['BAD_USER_INPUT', status.INVALID_ARGUMENT],
    ['CONFLICT', status.FAILED_PRECONDITION],
    ['SERVICE_UNAVAILABLE', status.UNAVAILABLE],
  ] as [ErrorCode, status][])('when an AppError %s is sent, then the gRPC status is the matching standard one', (code, expected) => {
    const sent = toGrpcStatus(new AppError(code, 'x'));

    expect(sent.code).toBe(expected);
    expect(sent.metadata?.get('x-error-code')).toEqual([code]);
  });

  test('when the peer sends a standard status without our metadata, then the code is recovered from the status', () => {
    const received = fromGrpcError(serviceErrorFrom({ code: status.NOT_FOUND, details: 'No user with that id.' }), 'users');

    expect(received.code).toBe('NOT_FOUND');
    expect(received.message).toBe('No user with that id.');
  });

  test.each([
    ['UNAVAILABLE', status.UNAVAILABLE],
    ['DEADLINE_EXCEEDED', status.DEADLINE_EXCEEDED],
    ['CANCELLED', status.CANCELLED],
    ['RESOURCE_EXHAUSTED', status.RESOURCE_EXHAUSTED],
  ])('when a call fails with %s, then it becomes a retryable SERVICE_UNAVAILABLE naming the downstream', (_name, code) => {
    const failure = serviceErrorFrom({ code, details: 'No connection established. Last error: connect ECONNREFUSED 10.0.0.7:50051' });

    const received = fromGrpcError(failure, 'orders');

    expect(received.code).toBe('SERVICE_UNAVAILABLE');
    expect(received.details.retryable).toBe(true);
    expect(received.retryable).toBe(true);
    expect(received.message).toBe('The orders service is unavailable, try again shortly.');
    expect(received.message).not.toContain('10.0.0.7');
    expect(received.cause).toBe(failure);
  });

  test('when a server AppError SERVICE_UNAVAILABLE crosses gRPC, then the client keeps the code as a retryable error naming the downstream', () => {
    const received = fromGrpcError(
      serviceErrorFrom(toGrpcStatus(new AppError('SERVICE_UNAVAILABLE', 'The database is unreachable.'))),
      'users',
    );

    expect(received.code).toBe('SERVICE_UNAVAILABLE');
    expect(received.details.retryable).toBe(true);
    expect(received.message).toBe('The users service is unavailable, try again shortly.');
  });

  test('when a handler throws an unknown error, then the status is INTERNAL with a fixed message and no internals', () => {
    const sent = toGrpcStatus(new Error('duplicate key value violates unique constraint "users_email_key"'));

    expect(sent.code).toBe(status.INTERNAL);
    expect(sent.details).toBe('Internal server error');
    expect(sent.metadata?.get('x-error-code')).toEqual(['INTERNAL_SERVER_ERROR']);
  });

  test.each([
    ['a string', 'raw string thrown'],
    ['undefined', undefined],
    ['an INTERNAL_SERVER_ERROR AppError', new AppError('INTERNAL_SERVER_ERROR', 'stack overflow in pricing')],
  ])('when a handler throws %s, then the status is INTERNAL with the fixed message', (_label, thrown) => {
    const sent = toGrpcStatus(thrown);

    expect(sent).toMatchObject({ code: status.INTERNAL, details: 'Internal server error' });
  });

  test('when an unknown server error crosses gRPC, then the client gets INTERNAL_SERVER_ERROR with a fixed message naming the downstream', () => {
    const received = fromGrpcError(serviceErrorFrom(toGrpcStatus(new Error('segfault in module x'))), 'users');

    expect(received.code).toBe('INTERNAL_SERVER_ERROR');
    expect(received.message).toBe('The users service failed.');
    expect(received.retryable).toBe(false);
  });

  test.each([
    ['UNKNOWN', status.UNKNOWN],
    ['INTERNAL', status.INTERNAL],
    ['DATA_LOSS', status.DATA_LOSS],
    ['UNIMPLEMENTED', status.UNIMPLEMENTED],
  ])('when a foreign peer answers %s with its own details, then the client gets INTERNAL_SERVER_ERROR without them', (_name, code) => {
    const received = fromGrpcError(serviceErrorFrom({ code, details: 'panic: runtime error at handler.go:88' }), 'users');

    expect(received.code).toBe('INTERNAL_SERVER_ERROR');
    expect(received.message).toBe('The users service failed.');
  });

  test.each([
    'Received RST_STREAM with code 2 (Internal server error)',
    'Received RST_STREAM with code 0 (Call ended without gRPC status)',
    'Received RST_STREAM with code 7',
  ])(
    'when the stream is cut before any status arrives (%s: a proxy lost the replica), then the client gets a retryable SERVICE_UNAVAILABLE',
    (details) => {
      const received = fromGrpcError(serviceErrorFrom({ code: status.INTERNAL, details }), 'users');

      expect(received.code).toBe('SERVICE_UNAVAILABLE');
      expect(received.retryable).toBe(true);
    },
  );

  test('when the client itself reset the stream, or the peer answered INTERNAL with our error code, then it stays INTERNAL_SERVER_ERROR', () => {
    const own = fromGrpcError(
      serviceErrorFrom({ code: status.INTERNAL, details: 'Received RST_STREAM with code 2 triggered by internal client error: bad frame' }),
      'users',
    );
    const metadata = new Metadata();
    metadata.set('x-error-code', 'INTERNAL_SERVER_ERROR');
    const answered = fromGrpcError(
      serviceErrorFrom({ code: status.INTERNAL, details: 'Received RST_STREAM with code 2', metadata }),
      'users',
    );

    expect([own.code, answered.code]).toEqual(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR']);
  });

  test('when the metadata claims INTERNAL_SERVER_ERROR on a NOT_FOUND status, then the metadata does not smuggle the details through', () => {
    const metadata = new Metadata();
    metadata.set('x-error-code', 'INTERNAL_SERVER_ERROR');

    const received = fromGrpcError(serviceErrorFrom({ code: status.INTERNAL, details: 'secret', metadata }), 'orders');

    expect(received.code).toBe('INTERNAL_SERVER_ERROR');
    expect(received.message).not.toContain('secret');
  });

  test('when the metadata carries a code outside the vocabulary, then the status decides', () => {
    const metadata = new Metadata();
    metadata.set('x-error-code', 'TEAPOT');

    const received = fromGrpcError(serviceErrorFrom({ code: status.PERMISSION_DENIED, details: 'Admins only.', metadata }), 'orders');

    expect(received.code).toBe('FORBIDDEN');
    expect(received.message).toBe('Admins only.');
  });
});
