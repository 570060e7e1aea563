import type { AppError } from '@fedshop/shared/errors';
import { captureLogger } from '@fedshop/shared/testing';
import { GraphQLError } from 'graphql';
import { Registry } from 'prom-client';
import { createEdgeMetrics, type EdgeMetrics } from './edge-metrics';
import { createRateLimiter, rateLimitHeaders, type RateLimitOptions } from './rate-limit';
import { createMemoryRateLimitStore, type RateLimitStore } from './rate-limit-store';

const OPTIONS: RateLimitOptions = { anonymousPerMinute: 3, userPerMinute: 5, authPerMinute: 2, failClosed: false, keyPrefix: 't' };

async function refusal(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const brokenStore: RateLimitStore = {
  take: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  ready: async () => false,
  close: async () => undefined,
};

describe('createRateLimiter', () => {
  let metrics: EdgeMetrics;
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry();
    metrics = createEdgeMetrics(registry);
  });
  const limiter = (options: Partial<RateLimitOptions> = {}, store: RateLimitStore = createMemoryRateLimitStore()) =>
    createRateLimiter({ ...OPTIONS, ...options }, store, captureLogger().logger, metrics);

  test('when an anonymous address uses up its budget, then the next request is a 429 RATE_LIMITED with Retry-After and RateLimit headers', async () => {
    const rateLimiter = limiter();
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await rateLimiter.checkRequest({ userId: null, address: '198.51.100.1' }));
    expect(decisions.map((decision) => decision?.remaining)).toEqual([2, 1, 0]);

    const refused = await refusal(rateLimiter.checkRequest({ userId: null, address: '198.51.100.1' }));

    expect(refused.extensions.code).toBe('RATE_LIMITED');
    const http = refused.extensions.http as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(429);
    expect(Object.fromEntries(http.headers)).toEqual({
      'retry-after': '20',
      'ratelimit-limit': '3',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '60',
      'ratelimit-policy': '3;w=60',
    });
    expect((refused.originalError as AppError).details).toEqual({ retryAfterSeconds: 20, limit: 3 });
    expect(await registry.getSingleMetricAsString('gateway_rate_limited_requests_total')).toContain('bucket="anonymous"} 1');
  });

  test('when signed in, then the user has their own, larger bucket, whatever address they come from', async () => {
    const rateLimiter = limiter();
    for (let i = 0; i < 3; i++) await rateLimiter.checkRequest({ userId: null, address: '198.51.100.2' });

    const decision = await rateLimiter.checkRequest({ userId: 'u-1', address: '198.51.100.2' });
    expect(decision).toEqual({ limit: 5, remaining: 4, resetSeconds: 12 });
    for (let i = 0; i < 4; i++) await rateLimiter.checkRequest({ userId: 'u-1', address: `203.0.113.${i}` });
    expect((await refusal(rateLimiter.checkRequest({ userId: 'u-1', address: '203.0.113.99' }))).extensions.code).toBe('RATE_LIMITED');
  });

  test('when credential attempts come from one address for many emails, then the address bucket stops them', async () => {
    const rateLimiter = limiter();
    await rateLimiter.checkCredentialAttempts('198.51.100.3', ['a@x.io']);
    await rateLimiter.checkCredentialAttempts('198.51.100.3', ['b@x.io']);
    expect((await refusal(rateLimiter.checkCredentialAttempts('198.51.100.3', ['c@x.io']))).extensions.code).toBe('RATE_LIMITED');
  });

  test('when credential attempts target one email from many addresses, then the email bucket stops them (any case)', async () => {
    const rateLimiter = limiter();
    await rateLimiter.checkCredentialAttempts('198.51.100.4', ['victim@x.io']);
    await rateLimiter.checkCredentialAttempts('198.51.100.5', [' VICTIM@x.io']);
    expect((await refusal(rateLimiter.checkCredentialAttempts('198.51.100.6', ['Victim@X.io']))).extensions.code).toBe('RATE_LIMITED');
    expect(await registry.getSingleMetricAsString('gateway_rate_limited_requests_total')).toContain('bucket="auth_email"} 1');
  });

  test('when one operation carries more attempts than the budget, then it is refused whole', async () => {
    const rateLimiter = limiter();
    expect((await refusal(rateLimiter.checkCredentialAttempts('198.51.100.7', ['a@x.io', 'a@x.io', 'a@x.io']))).extensions.code).toBe(
      'RATE_LIMITED',
    );
    // Nothing was taken: a single attempt still passes.
    expect(await rateLimiter.checkCredentialAttempts('198.51.100.7', ['a@x.io'])).toMatchObject({ limit: 2 });
  });

  test('when a budget is 0, then that bucket is off', async () => {
    const rateLimiter = limiter({ anonymousPerMinute: 0, authPerMinute: 0 });
    for (let i = 0; i < 10; i++) expect(await rateLimiter.checkRequest({ userId: null, address: '198.51.100.8' })).toBeNull();
    expect(await rateLimiter.checkCredentialAttempts('198.51.100.8', ['a@x.io', 'a@x.io', 'a@x.io'])).toBeNull();
  });

  test('when the store is down (fail-open, the default), then requests pass, the failure is counted and logged once', async () => {
    const captured = captureLogger();
    const rateLimiter = createRateLimiter(OPTIONS, brokenStore, captured.logger, metrics);

    for (let i = 0; i < 5; i++) expect(await rateLimiter.checkRequest({ userId: null, address: '198.51.100.9' })).toBeNull();

    expect(await registry.getSingleMetricAsString('gateway_rate_limit_store_failures_total')).toContain('outcome="allowed"} 5');
    expect(captured.lines().filter((line) => line.level === 'warn')).toHaveLength(1);
  });

  test('when the store is down and RATE_LIMIT_FAIL_CLOSED, then requests are refused with a retryable 503', async () => {
    const rateLimiter = limiter({ failClosed: true }, brokenStore);

    const refused = await refusal(rateLimiter.checkRequest({ userId: null, address: '198.51.100.10' }));

    expect(refused.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect((refused.extensions.http as { status: number }).status).toBe(503);
    expect(await registry.getSingleMetricAsString('gateway_rate_limit_store_failures_total')).toContain('outcome="refused"} 1');
  });
});

describe('rateLimitHeaders', () => {
  test('when no retry is given, then only the RateLimit fields are set', () => {
    expect(rateLimitHeaders({ limit: 300, remaining: 12, resetSeconds: 58 })).toEqual({
      'ratelimit-limit': '300',
      'ratelimit-remaining': '12',
      'ratelimit-reset': '58',
      'ratelimit-policy': '300;w=60',
    });
  });
});
