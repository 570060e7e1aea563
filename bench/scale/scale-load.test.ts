import { clientAddress, judge, percentiles } from './scale-load';

const answer = (status: number, body: unknown) => ({
  status,
  body: body as Parameters<typeof judge>[0] extends infer A ? (A extends { body: infer B } ? B : never) : never,
  text: body === undefined ? '<html>error</html>' : JSON.stringify(body),
});

describe('what a client of the load balancer makes of an answer', () => {
  test.each([
    ['a reset connection', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'transport UND_ERR_SOCKET'],
    ["the balancer's 502 (replica died mid-request)", answer(502, undefined), 'HTTP 502'],
    ["the balancer's 503 (no replica up)", answer(503, undefined), 'HTTP 503'],
    [
      'SERVICE_UNAVAILABLE beside partial data',
      answer(200, { data: { a: 1 }, errors: [{ message: 'x', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }),
      'SERVICE_UNAVAILABLE',
    ],
    ['a 429', answer(429, { errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] }), 'RATE_LIMITED'],
  ])('when it gets %s, then it retries', (_label, received, reason) => {
    expect(judge(received as Parameters<typeof judge>[0], [])).toEqual({ kind: 'retryable', reason });
  });

  test('when an error code is one the operation expects (out of stock), then that is its answer, not a failure', () => {
    expect(judge(answer(200, { errors: [{ message: 'Not enough stock', extensions: { code: 'CONFLICT' } }] }), ['CONFLICT'])).toMatchObject(
      { kind: 'expected', code: 'CONFLICT' },
    );
  });

  test.each([
    [
      'INTERNAL_SERVER_ERROR',
      answer(200, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }),
    ],
    [
      'UNAUTHENTICATED (a replica that does not know the key)',
      answer(401, { errors: [{ message: 'invalid', extensions: { code: 'UNAUTHENTICATED' } }] }),
    ],
    ['a 500 that is not GraphQL', answer(500, undefined)],
  ])('when it gets %s, then that is a failure of the platform', (_label, received) => {
    expect(judge(received, ['CONFLICT']).kind).toBe('unexpected');
  });

  test("when clients are numbered, then each gets a loopback address of its own, none of them 127.0.0.1 (the balancer's)", () => {
    const addresses = Array.from({ length: 600 }, (_, i) => clientAddress(i + 1));
    expect(new Set(addresses).size).toBe(600);
    expect(addresses.every((address) => /^127\.1\.\d+\.\d+$/.test(address) && Number(address.split('.')[3]) <= 250)).toBe(true);
  });

  test('when percentiles are taken, then the median and the 99th come from the sorted values', () => {
    expect(percentiles([5, 1, 3, 2, 4])).toEqual({ p50: 3, p99: 5 });
    expect(percentiles([])).toEqual({ p50: 0, p99: 0 });
  });
});
