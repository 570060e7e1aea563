import { ApolloServer } from '@apollo/server';
import { GraphQLError, GraphQLScalarType, type GraphQLFormattedError } from 'graphql';
import { runInRequestScope } from '../context/request-scope';
import { DateTimeScalar } from '../graphql/date-time-scalar';
import { captureLogger, type CapturedLogger } from '../testing/test-logger';
import { AppError, ERROR_CODES, REQUEST_REJECTION_CODES, badUserInput, notFound, rateLimited } from './app-error';
import { createGraphQLErrorFormatter, MASKED_MESSAGE } from './graphql-error-formatter';

/** What Apollo hands formatError for an error a resolver threw: the wrapped error and its JSON form. */
function resolverFailure(thrown: Error, path: (string | number)[] = ['field']) {
  const wrapped = new GraphQLError(thrown.message, { originalError: thrown, path });
  const formatted: GraphQLFormattedError = {
    ...wrapped.toJSON(),
    // Apollo adds these in development (includeStacktraceInErrorResponses).
    extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: (thrown.stack ?? '').split('\n') },
  };
  return { formatted, error: wrapped };
}

function maskedLogLines(captured: CapturedLogger) {
  return captured.lines().filter((line) => line.msg === 'unexpected error masked for the client');
}

describe('createGraphQLErrorFormatter', () => {
  let captured: CapturedLogger;
  let format: ReturnType<typeof createGraphQLErrorFormatter>;
  beforeEach(() => {
    captured = captureLogger();
    format = createGraphQLErrorFormatter({ logger: captured.logger });
  });

  describe('AppErrors', () => {
    test('when a resolver throws an AppError, then its message, code and details reach the client', () => {
      const { formatted, error } = resolverFailure(badUserInput('input.email', 'Enter a valid email address.', { hint: 'x@y.z' }), [
        'signUp',
      ]);

      const result = format(formatted, error);

      expect(result).toEqual({
        message: 'Enter a valid email address.',
        path: ['signUp'],
        locations: undefined,
        extensions: { code: 'BAD_USER_INPUT', field: 'input.email', hint: 'x@y.z' },
      });
      expect(maskedLogLines(captured)).toHaveLength(0);
    });

    test.each(ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR'))(
      'when an AppError has code %s, then that code is extensions.code and no stacktrace is attached',
      (code) => {
        const { formatted, error } = resolverFailure(new AppError(code, `about ${code}`));

        const result = format(formatted, error);

        expect(result.message).toBe(`about ${code}`);
        expect(result.extensions).toEqual({ code });
      },
    );

    test('when the AppError is nested a few originalErrors deep, then it is still found and kept', () => {
      const appError = notFound('No such order.', { orderId: 'o-1' });
      const inner = new GraphQLError('inner', { originalError: appError });
      const outer = new GraphQLError('outer', { originalError: inner });

      const result = format({ message: 'outer', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, outer);

      expect(result).toMatchObject({ message: 'No such order.', extensions: { code: 'NOT_FOUND', orderId: 'o-1' } });
    });

    test('when an AppError has code INTERNAL_SERVER_ERROR, then it is masked and logged like any unexpected error', () => {
      const secret = 'connection to db-primary.internal:5432 refused';
      const { formatted, error } = resolverFailure(new AppError('INTERNAL_SERVER_ERROR', secret, { host: 'db-primary' }));

      const result = format(formatted, error);

      expect(result).toEqual({
        message: MASKED_MESSAGE,
        path: ['field'],
        locations: undefined,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(result)).not.toContain('db-primary');
      const logged = maskedLogLines(captured);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 'error', err: { message: secret } });
    });
  });

  describe('request rejections', () => {
    test.each(REQUEST_REJECTION_CODES)(
      'when the edge refuses a request with %s, then the code, message and limit reach the client',
      (code) => {
        const { formatted, error } = resolverFailure(new AppError(code, `refused: ${code}`, { limit: 10 }));

        expect(format(formatted, error)).toMatchObject({ message: `refused: ${code}`, extensions: { code, limit: 10 } });
        expect(maskedLogLines(captured)).toHaveLength(0);
      },
    );

    test("when a validation rule reports a rejection, then Apollo's GRAPHQL_VALIDATION_FAILED wrapper does not hide its code", () => {
      const reported = new GraphQLError('Query depth limit of 10 exceeded, found 12.', {
        originalError: new AppError('OPERATION_TOO_DEEP', 'Query depth limit of 10 exceeded, found 12.', { limit: 10, found: 12 }),
      });
      // What Apollo Server's ValidationError makes of it.
      const wrapped = new GraphQLError(reported.message, {
        originalError: reported.originalError,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });

      expect(format(wrapped.toJSON(), wrapped).extensions).toEqual({ code: 'OPERATION_TOO_DEEP', limit: 10, found: 12 });
    });

    test('when a subgraph answers RATE_LIMITED and the gateway trusts it, then it passes with its retry time', () => {
      const gatewayFormat = createGraphQLErrorFormatter({ logger: captured.logger, trustedUpstreamCodes: new Set(['RATE_LIMITED']) });
      const upstream = new GraphQLError('Too many failed sign-in attempts.', {
        path: ['signIn'],
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 60 },
      });

      expect(gatewayFormat(upstream.toJSON(), upstream)).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 60 } });
    });

    test('when rateLimited() builds the error, then retryAfterSeconds is among its details', () => {
      expect(rateLimited('Slow down.', 30, { limit: 10 }).details).toEqual({ limit: 10, retryAfterSeconds: 30 });
    });
  });

  describe("Apollo's uncoded request errors", () => {
    test('when Apollo refuses a request with a 4xx but no code (a persisted-query hash mismatch), then BAD_REQUEST with its message, nothing logged', () => {
      const error = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400, headers: new Map() } } });

      const result = format({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);

      expect(result).toEqual({
        message: 'provided sha does not match query',
        locations: undefined,
        path: undefined,
        extensions: { code: 'BAD_REQUEST' },
      });
      expect(maskedLogLines(captured)).toHaveLength(0);
    });

    test('when an uncoded error wraps something else, or is not a 4xx, then it is masked', () => {
      const wrapping = new GraphQLError('db down', { originalError: new Error('db down'), extensions: { http: { status: 400 } } });
      const serverSide = new GraphQLError('exploded', { extensions: { http: { status: 500 } } });

      expect(format({ message: 'db down' }, wrapping).message).toBe(MASKED_MESSAGE);
      expect(format({ message: 'exploded' }, serverSide).message).toBe(MASKED_MESSAGE);
    });
  });

  describe('field suggestions', () => {
    const suggesting = [
      ['Cannot query field "nme" on type "User". Did you mean "name"?', 'Cannot query field "nme" on type "User".'],
      ['Cannot query field "x" on type "Query". Did you mean "me", "user", or "users"?', 'Cannot query field "x" on type "Query".'],
      [
        'Variable "$s" got invalid value "SHIPED"; Value "SHIPED" does not exist in "OrderStatus" enum. Did you mean the enum value "SHIPPED"?',
        'Variable "$s" got invalid value "SHIPED"; Value "SHIPED" does not exist in "OrderStatus" enum.',
      ],
    ];

    test.each(suggesting)('when suggestions are hidden, then %j loses its suggestion', (message, expected) => {
      const hiding = createGraphQLErrorFormatter({ logger: captured.logger, hideSuggestions: true });
      const error = new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

      expect(hiding(error.toJSON(), error).message).toBe(expected);
    });

    test('when suggestions are not hidden (development), then they stay', () => {
      const error = new GraphQLError(suggesting[0]![0]!, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

      expect(format(error.toJSON(), error).message).toBe(suggesting[0]![0]);
    });
  });

  describe('unknown errors', () => {
    test('when a resolver throws a plain Error, then the client sees "Internal server error" with no stack and no original message', () => {
      const { formatted, error } = resolverFailure(new Error('relation "users" does not exist at character 15'));

      const result = format(formatted, error);

      expect(result.message).toBe('Internal server error');
      expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
      const serialized = JSON.stringify(result);
      expect(serialized).not.toContain('relation');
      expect(serialized).not.toContain('stacktrace');
      expect(serialized).not.toContain('.ts:');
    });

    test('when an unknown error is masked, then it is logged at error level with its message and stack', () => {
      const { formatted, error } = resolverFailure(new Error('kaboom in the repository'));

      format(formatted, error);

      const logged = maskedLogLines(captured);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 'error', err: { message: 'kaboom in the repository' } });
      expect(String((logged[0]!.err as { stack?: string }).stack)).toContain('kaboom in the repository');
    });

    test('when an unknown error is masked inside a request scope, then the request id is in the response and in the log', () => {
      const { formatted, error } = resolverFailure(new Error('boom'));

      const result = runInRequestScope({ requestId: 'req-42' }, () => format(formatted, error));

      expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' });
      expect(maskedLogLines(captured)[0]).toMatchObject({ requestId: 'req-42' });
    });

    test('when the thrown value is not even an Error, then it is masked too', () => {
      const result = format({ message: 'a string was thrown', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, 'a string was thrown');

      expect(result).toMatchObject({ message: MASKED_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    });

    test('when an error carries a code outside the vocabulary, then it is masked', () => {
      const error = new GraphQLError('ECONNRESET from redis', { extensions: { code: 'ECONNRESET' } });

      const result = format(error.toJSON(), error);

      expect(result).toMatchObject({ message: MASKED_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    });
  });

  describe('upstream errors', () => {
    const upstream = (code: string) => {
      const error = new GraphQLError('No order with that id.', {
        path: ['order'],
        extensions: {
          code,
          orderId: 'o-9',
          serviceName: 'orders',
          stacktrace: ['Error: No order with that id.', '    at findOrder (order-repository.ts:12:3)'],
          exception: { stacktrace: ['at somewhere'] },
          http: { status: 404, headers: {} },
        },
      });
      return { formatted: error.toJSON(), error };
    };

    test('when an upstream code is trusted, then message and extensions pass but never stacktrace, exception or http', () => {
      const gatewayFormat = createGraphQLErrorFormatter({ logger: captured.logger, trustedUpstreamCodes: new Set(ERROR_CODES) });
      const { formatted, error } = upstream('NOT_FOUND');

      const result = gatewayFormat(formatted, error);

      expect(result).toEqual({
        message: 'No order with that id.',
        path: ['order'],
        locations: undefined,
        extensions: { code: 'NOT_FOUND', orderId: 'o-9', serviceName: 'orders' },
      });
      expect(maskedLogLines(captured)).toHaveLength(0);
    });

    test('when an upstream code is not in the trusted set, then the upstream error is masked', () => {
      const gatewayFormat = createGraphQLErrorFormatter({ logger: captured.logger, trustedUpstreamCodes: new Set(['FORBIDDEN']) });
      const { formatted, error } = upstream('NOT_FOUND');

      const result = gatewayFormat(formatted, error);

      expect(result).toMatchObject({ message: MASKED_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(result)).not.toContain('o-9');
    });

    test('when no codes are trusted (a subgraph), then an upstream-looking NOT_FOUND is masked', () => {
      const { formatted, error } = upstream('NOT_FOUND');

      expect(format(formatted, error)).toMatchObject({ message: MASKED_MESSAGE });
    });

    test('when upstream sends INTERNAL_SERVER_ERROR even though every code is trusted, then it is masked and logged', () => {
      const gatewayFormat = createGraphQLErrorFormatter({ logger: captured.logger, trustedUpstreamCodes: new Set(ERROR_CODES) });
      const { formatted, error } = upstream('INTERNAL_SERVER_ERROR');

      const result = gatewayFormat(formatted, error);

      expect(result).toEqual({
        message: MASKED_MESSAGE,
        path: ['order'],
        locations: undefined,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(maskedLogLines(captured)).toHaveLength(1);
    });
  });

  describe('Apollo request errors', () => {
    test.each([
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
      'BAD_USER_INPUT',
      'BAD_REQUEST',
      'PERSISTED_QUERY_NOT_FOUND',
      'PERSISTED_QUERY_NOT_SUPPORTED',
      'OPERATION_RESOLUTION_FAILURE',
    ])('when Apollo reports %s, then its message passes with only the code (no stacktrace) and nothing is logged', (code) => {
      const error = new GraphQLError('Cannot query field "nope" on type "Query".', { extensions: { code } });
      const formatted = { ...error.toJSON(), locations: [{ line: 1, column: 3 }], extensions: { code, stacktrace: ['GraphQLError: ...'] } };

      const result = format(formatted, error);

      expect(result).toEqual({
        message: 'Cannot query field "nope" on type "Query".',
        locations: [{ line: 1, column: 3 }],
        path: undefined,
        extensions: { code },
      });
      expect(maskedLogLines(captured)).toHaveLength(0);
    });
  });

  describe('through a real Apollo Server', () => {
    let server: ApolloServer;
    beforeAll(async () => {
      const logger = captureLogger().logger;
      server = new ApolloServer({
        typeDefs: /* GraphQL */ `
          scalar Strict
          scalar DateTime
          type Query {
            at(when: DateTime): String
            hello(n: Int): String
            strict(value: Strict): String
            appFailure: String
            crash: String
          }
        `,
        resolvers: {
          DateTime: DateTimeScalar,
          Strict: new GraphQLScalarType({
            name: 'Strict',
            parseValue: () => {
              throw new Error('pool exhausted while parsing');
            },
          }),
          Query: {
            hello: () => 'hi',
            at: () => 'then',
            strict: () => 'ok',
            appFailure: () => {
              throw new AppError('CONFLICT', 'Already cancelled.', { orderId: 'o-1' });
            },
            crash: () => {
              throw new Error('secret internals');
            },
          },
        },
        formatError: createGraphQLErrorFormatter({ logger }),
        // Even when Apollo is told to add stack traces, none reaches the client.
        includeStacktraceInErrorResponses: true,
      });
      await server.start();
    });
    afterAll(async () => {
      await server?.stop();
    });

    async function errorsOf(query: string, variables?: Record<string, unknown>) {
      const response = await server.executeOperation({ query, variables });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult.errors ?? [];
    }

    test.each([
      ['GRAPHQL_PARSE_FAILED', '{ hello', undefined],
      ['GRAPHQL_VALIDATION_FAILED', '{ nope }', undefined],
      ['BAD_USER_INPUT', 'query Q($n: Int) { hello(n: $n) }', { n: 'not a number' }],
    ] as const)('when Apollo reports %s, then the error passes with its message and only its code', async (code, query, variables) => {
      const errors = await errorsOf(query, variables);

      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions).toEqual({ code });
      expect(errors[0]!.message).not.toBe(MASKED_MESSAGE);
    });

    test('when a scalar refuses a variable with a GraphQLError, then the BAD_USER_INPUT passes with that message', async () => {
      const errors = await errorsOf('query Q($w: DateTime) { at(when: $w) }', { w: 'yesterday' });

      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(errors[0]!.message).toContain('DateTime must be an ISO-8601 string.');
    });

    test('when a scalar parser throws a plain Error during variable coercion, then the BAD_USER_INPUT is masked', async () => {
      const errors = await errorsOf('query Q($v: Strict) { strict(value: $v) }', { v: 'x' });

      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ message: MASKED_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(errors)).not.toContain('pool exhausted');
    });

    test('when a resolver throws an AppError, then the client gets its code and details with no stacktrace', async () => {
      const errors = await errorsOf('{ appFailure }');

      expect(errors).toEqual([
        {
          message: 'Already cancelled.',
          path: ['appFailure'],
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'CONFLICT', orderId: 'o-1' },
        },
      ]);
    });

    test('when a resolver throws a plain Error, then the client gets the masked error with no stacktrace', async () => {
      const errors = await errorsOf('{ crash }');

      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ message: MASKED_MESSAGE, path: ['crash'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(errors)).not.toMatch(/secret internals|stacktrace/);
    });
  });
});
