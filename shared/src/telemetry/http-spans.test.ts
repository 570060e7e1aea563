import { randomBytes } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { startHttpServer, type RunningHttpServer } from '../http/http-server';
import { sendJson } from '../http/send-json';
import { captureLogger } from '../testing/test-logger';
import { installTestTelemetry, type ReadableSpan, type TestTelemetry } from '../testing/test-telemetry';
import { startHttpClientSpan } from './http-spans';

/**
 * The HTTP spans our transports write themselves (no instrumentation patches node:http or
 * undici): a real server from @fedshop/shared/http, real requests over a socket, spans in memory.
 */
describe('HTTP spans', () => {
  let telemetry: TestTelemetry;
  let server: RunningHttpServer;
  beforeAll(async () => {
    telemetry = installTestTelemetry();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: captureLogger().logger,
      routes: {
        'GET /hello': (_req, res) => sendJson(res, 200, { traceId: trace.getActiveSpan()?.spanContext().traceId }),
        'GET /broken': (_req, res) => sendJson(res, 503, { error: 'down' }),
        'GET /healthz': (_req, res) => sendJson(res, 200, { ok: true }),
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await telemetry?.shutdown();
  });
  beforeEach(() => telemetry.reset());

  /** The server spans ended so far (a span ends when its response has finished). */
  async function serverSpans(count: number): Promise<ReadableSpan[]> {
    const deadline = Date.now() + 5_000;
    const ended = () => telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
    while (ended().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    return ended();
  }

  test('when a request carries a traceparent, then its server span continues it, is named by method and route, and is active in the handler', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const response = await fetch(`${server.url}/hello?x=1`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    const body = (await response.json()) as { traceId: string };

    const [span] = await serverSpans(1);
    expect(span!.name).toBe('GET /hello');
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe(parentId);
    expect(body.traceId).toBe(traceId);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/hello',
      'url.path': '/hello',
      'server.port': server.port,
      'http.response.status_code': 200,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  test('when the server answers 5xx, then its span is an error; an unknown path is named by the method alone', async () => {
    await fetch(`${server.url}/broken`);
    await fetch(`${server.url}/no/such/path/${randomBytes(4).toString('hex')}`);

    const spans = await serverSpans(2);
    const broken = spans.find((span) => span.attributes['url.path'] === '/broken')!;
    expect(broken.status.code).toBe(SpanStatusCode.ERROR);
    expect(broken.attributes['http.response.status_code']).toBe(503);
    const unknown = spans.find((span) => span.attributes['url.path'] !== '/broken')!;
    expect(unknown.name).toBe('GET');
    expect(unknown.attributes['http.response.status_code']).toBe(404);
    expect(unknown.attributes['http.route']).toBeUndefined();
  });

  test('when a probe asks /healthz, then no span is written', async () => {
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/hello`);

    const spans = await serverSpans(1);
    expect(spans.map((span) => span.name)).toEqual(['GET /hello']);
  });

  test('when a client span sends a request, then the server span is its child, and the client span ends with the status', async () => {
    const parent = trace.getTracer('test').startSpan('caller');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      const client = startHttpClientSpan('GET', `${server.url}/hello`, { accept: 'application/json' });
      expect(client.headers).toMatchObject({
        accept: 'application/json',
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      });
      const response = await fetch(`${server.url}/hello`, { headers: client.headers });
      client.end({ status: response.status });
    });
    parent.end();

    const [serverSpan] = await serverSpans(1);
    const clientSpan = telemetry.spans().find((span) => span.kind === SpanKind.CLIENT)!;
    expect(clientSpan.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(serverSpan!.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'http.response.status_code': 200,
    });
  });

  test('when a client span’s request fails, then it records the error', () => {
    const client = startHttpClientSpan('POST', 'http://127.0.0.1:9/graphql', {});
    client.end({ error: Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectError' }) });

    const [span] = telemetry.spans().filter((recorded) => recorded.kind === SpanKind.CLIENT);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connect ECONNREFUSED' });
    expect(span!.attributes['error.type']).toBe('ConnectError');
    expect(span!.events.map((event) => event.name)).toEqual(['exception']);
  });
});
