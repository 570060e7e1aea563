import autocannon from 'autocannon';
import type { ScenarioRequest } from './scenarios';

export interface LoadOptions {
  /** Base URL of the gateway (GraphQL at /graphql). */
  url: string;
  connections: number;
  durationSeconds: number;
  /** Called once per request. */
  nextRequest: () => ScenarioRequest;
  /**
   * Judges each response: `full` (JSON-parse it and check its data, used while warming up)
   * or `cheap` (HTTP 200 and no `"errors"` in the body, used while measuring, so checking
   * costs the load generator little).
   */
  verify: 'full' | 'cheap';
  /** For `full`: what is wrong with a response (`size`: the page size its request asked for), or null. */
  check: (status: number, body: string, size?: number) => string | null;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** Responses received. */
  requests: number;
  /** Requests sent (some may still have been in flight when the time was up). */
  sent: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  errors: {
    /** Responses with an HTTP status other than 2xx. */
    non2xx: number;
    /** 2xx responses that carry GraphQL errors or (when checked in full) wrong data. */
    graphql: number;
    /** Connection errors and timeouts (no response at all). */
    transport: number;
  };
  /** The first wrong response seen, for the report. */
  firstError: string | null;
  /** Every response's latency, ms (for percentiles over several rounds). */
  latencies: number[];
}

/** Nearest-rank percentiles of latencies in ms, rounded to 0.1 ms (zeros when there are none). */
export function summarizeLatencies(samples: number[]): LatencySummary {
  if (samples.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
  return { p50: at(50), p95: at(95), p99: at(99), max: Math.round(sorted[sorted.length - 1]! * 10) / 10 };
}

/**
 * Drives one gateway with autocannon for a fixed time: `connections` keep-alive connections,
 * each sending its next request as soon as the previous answered (closed loop), every request
 * built by `nextRequest` (so tokens rotate and idempotency keys stay distinct). Latencies are
 * kept per response, so p95 is exact (autocannon's own histogram has no p95).
 */
export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  let graphql = 0;
  let firstError: string | null = null;
  let finish: (error: unknown, result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result));
  });
  const started = process.hrtime.bigint();
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      duration: options.durationSeconds,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          path: '/graphql',
          // autocannon's per-connection context: one request in flight per connection (closed
          // loop), so the answer checked is the one to the request set up last.
          setupRequest(request, context: { size?: number }) {
            const next = options.nextRequest();
            context.size = next.size;
            return {
              ...request,
              body: next.body,
              headers: {
                'content-type': 'application/json',
                ...(next.token ? { authorization: `Bearer ${next.token}` } : {}),
              },
            };
          },
          onResponse(status, body, context: { size?: number }) {
            if (status < 200 || status >= 300) {
              non2xx += 1;
              firstError ??= `HTTP ${status}: ${body.slice(0, 200)}`;
              return;
            }
            const problem =
              options.verify === 'full' ? options.check(status, body, context.size) : body.includes('"errors"') ? 'GraphQL errors' : null;
            if (problem) {
              graphql += 1;
              firstError ??= options.verify === 'full' ? problem : `${problem}: ${body.slice(0, 200)}`;
            }
          },
        },
      ],
    },
    (error, result) => finish(error, result),
  );
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await done;
  const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    requests: latencies.length,
    sent: result.requests.sent,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    requestsPerSecond: Math.round((latencies.length / durationSeconds) * 10) / 10,
    latencyMs: summarizeLatencies(latencies),
    errors: { non2xx, graphql, transport: result.errors + result.timeouts },
    firstError,
    latencies,
  };
}
