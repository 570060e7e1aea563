import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { ERROR_CODES, REQUEST_REJECTION_CODES } from '@fedshop/shared/errors';
import { describeError, KNOWN_ERROR_CODES } from './describe-error';

const graphQLError = (code: string, extensions: Record<string, unknown> = {}, message = 'Refused by the server.') =>
  new CombinedGraphQLErrors({ errors: [{ message, extensions: { code, ...extensions } }] });

describe('storefront: error messages', () => {
  test('when the platform adds an error code, then the app has a message for it (vocabulary and gateway rejections)', () => {
    expect(KNOWN_ERROR_CODES).toEqual(expect.arrayContaining([...ERROR_CODES, ...REQUEST_REJECTION_CODES]));
  });

  test.each(KNOWN_ERROR_CODES)('when a request fails with %s, then the shopper gets a sentence, not the code', (code) => {
    const description = describeError(graphQLError(code));

    expect(description.code).toBe(code);
    expect(description.message).toMatch(/^[A-Z].*\.$/);
    expect(description.message).not.toContain(code);
  });

  test('when RATE_LIMITED says when, then the message and the retry wait use it', () => {
    expect(describeError(graphQLError('RATE_LIMITED', { retryAfterSeconds: 17 }))).toMatchObject({
      message: 'Too many requests. You can try again in 17 seconds.',
      retryable: true,
      retryAfterSeconds: 17,
    });
  });

  test('when a 429 carries only a Retry-After header, then the wait comes from the header', () => {
    const response = new Response(null, { status: 429, headers: { 'retry-after': '42' } });
    const error = new ServerError('429', {
      response,
      bodyText: JSON.stringify({ errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] }),
    });

    expect(describeError(error)).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 42 });
  });

  test('when CONFLICT names a sku, then the message names the product as the shopper knows it', () => {
    const description = describeError(graphQLError('CONFLICT', { sku: 'DS-001' }), {
      productName: (sku) => (sku === 'DS-001' ? 'Standing desk' : undefined),
    });

    expect(description.message).toBe(
      'Not enough “Standing desk” in stock for this order. Lower the quantity or remove it, then check out again.',
    );
    expect(description).toMatchObject({ retryable: false, certainlyRefused: true });
  });

  test('when SERVICE_UNAVAILABLE, then a retry is offered and the outcome counts as unknown', () => {
    expect(describeError(graphQLError('SERVICE_UNAVAILABLE', { retryable: true }))).toMatchObject({
      retryable: true,
      certainlyRefused: false,
    });
  });

  test('when UNAUTHENTICATED ends a session, then the shopper is sent to sign in, the cart kept; a wrong password is not that', () => {
    expect(describeError(graphQLError('UNAUTHENTICATED', {}, 'Your session has ended: sign in again.'))).toMatchObject({
      signIn: true,
      message: 'Your session has ended. Sign in again: your cart is kept.',
    });
    expect(describeError(graphQLError('UNAUTHENTICATED', {}, 'The email or password is incorrect.'))).toMatchObject({
      signIn: false,
      message: 'The email or password is incorrect.',
    });
  });

  test('when BAD_USER_INPUT names a field, then the field is kept so the form can show the message beside it', () => {
    expect(describeError(graphQLError('BAD_USER_INPUT', { field: 'input.email' }, 'Enter a valid email address.'))).toMatchObject({
      field: 'input.email',
      message: 'Enter a valid email address.',
    });
  });

  test('when no answer came at all, then it is a network problem: retry offered, outcome unknown', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toMatchObject({ code: 'NETWORK', retryable: true, certainlyRefused: false });
  });
});
