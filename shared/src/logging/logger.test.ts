import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { runInRequestScope, setRequestOperation, setRequestUser } from '../context/request-scope';
import { captureLogger } from '../testing/test-logger';

const SPAN = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

describe('service logger', () => {
  // The trace context follows async code once a provider is registered (as startTelemetry does).
  beforeAll(() => {
    new NodeTracerProvider().register();
  });
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  test('when a line is written while serving a request, then it carries the request, user, operation, trace and span ids', async () => {
    const { logger, lines } = captureLogger('orders');
    await runInRequestScope({ requestId: 'req-1' }, async () => {
      logger.info('before the token is verified');
      setRequestUser('user-1');
      setRequestOperation('PlaceOrder');
      await context.with(trace.setSpanContext(context.active(), SPAN), async () => {
        await Promise.resolve();
        logger.warn({ sku: 'A-1' }, 'deep inside the request');
      });
    });
    logger.info('after the request');

    expect(lines()).toEqual([
      expect.objectContaining({ msg: 'before the token is verified', requestId: 'req-1' }),
      expect.objectContaining({
        msg: 'deep inside the request',
        service: 'orders',
        requestId: 'req-1',
        userId: 'user-1',
        operation: 'PlaceOrder',
        traceId: SPAN.traceId,
        spanId: SPAN.spanId,
        sku: 'A-1',
      }),
      expect.not.objectContaining({ requestId: expect.anything() }),
    ]);
    expect(lines()[0]).not.toHaveProperty('userId');
  });

  test('when a log call names a field itself, then its value wins over the request scope', () => {
    const { logger, lines } = captureLogger();
    runInRequestScope({ requestId: 'req-2' }, () => logger.info({ requestId: 'given' }, 'explicit'));
    expect(lines()[0]).toMatchObject({ requestId: 'given' });
    expect(JSON.stringify(lines()[0]).match(/requestId/g)).toHaveLength(1);
  });

  test('when an error is logged, then its stack comes with it and secrets in its fields do not', () => {
    const { logger, lines } = captureLogger();
    logger.error({ err: new Error('boom'), input: { email: 'ada@example.com', password: 'secret-password' } }, 'failed');
    expect(lines()[0]).toMatchObject({ level: 'error', err: { message: 'boom', stack: expect.stringContaining('logger.test.ts') } });
    expect(JSON.stringify(lines()[0])).not.toMatch(/ada@example\.com|secret-password/);
  });
});
