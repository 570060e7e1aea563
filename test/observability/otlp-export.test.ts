/**
 * Observability: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the three services — real processes
 * started as production starts them — export one placeOrder's spans over OTLP/HTTP to the
 * collector, under one trace id, and export nothing else: metrics are Prometheus' and logs are
 * pino's, whatever NodeSDK's own defaults would do with an endpoint configured. The subgraphs
 * export JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, read back span by span here); the
 * gateway keeps the default, protobuf, checked for the bytes it must contain.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProcessPlatform, type ProcessPlatform } from '../support/process-platform';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpSpan {
  traceId: string;
  name: string;
}
interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** A stand-in collector that keeps what it is sent, by path. */
const received: { path: string; contentType: string; body: Buffer }[] = [];
let collector: Server;
let platform: ProcessPlatform;
const recordDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-otlp-modules-'));

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  // A short batch delay so spans arrive while the test waits, not only at shutdown.
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' };
  const json = { ...tracing, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  // The gateway records the modules it loads (test/support/record-loaded-modules.cjs), Node's own included.
  const recording = {
    NODE_OPTIONS: `--require ${path.join(__dirname, '../support/record-loaded-modules.cjs')}`,
    LOADED_MODULES_FILE: path.join(recordDir, 'modules.txt'),
    LOADED_BUILTINS_FILE: path.join(recordDir, 'builtins.txt'),
  };
  platform = await startProcessPlatform({ env: { users: json, orders: json, gateway: { ...tracing, ...recording } } });
}, 90_000);

afterAll(async () => {
  await platform?.stop();
  rmSync(recordDir, { recursive: true, force: true });
  collector?.closeAllConnections();
  await new Promise((resolve) => collector?.close(resolve));
});

/** Every exported span of `traceId`, by the `service.name` of the process that exported it. */
function spansOf(traceId: string): Map<string, string[]> {
  const byService = new Map<string, string[]>();
  for (const request of received.filter((r) => r.path === '/v1/traces' && r.contentType.includes('json'))) {
    for (const resourceSpans of (JSON.parse(request.body.toString()) as OtlpTraces).resourceSpans ?? []) {
      const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
      for (const span of (resourceSpans.scopeSpans ?? []).flatMap((scope) => scope.spans ?? [])) {
        if (span.traceId !== traceId) continue;
        byService.set(service, [...(byService.get(service) ?? []), span.name]);
      }
    }
  }
  return byService;
}

test('when placeOrder runs with an OTLP endpoint set, then all three services export its spans under the client trace id, and nothing but traces is exported', async () => {
  const { gql } = platform;
  const signUp = await gql(`mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }`, {
    input: { email: 'exported@example.com', password: 'a-long-password', name: 'Exported' },
  });
  const token = signUp.data!.signUp.token as string;
  const sku = (await gql(`{ products(first: 1) { edges { node { sku } } } }`)).data!.products.edges[0].node.sku;
  const traceId = randomBytes(16).toString('hex');

  const placed = await gql(
    `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id user { name } } }`,
    { input: { items: [{ sku, quantity: 1 }], idempotencyKey: 'exported-1' } },
    { token, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
  );
  expect(placed.errors).toEqual([]);

  // Protobuf carries the trace id as its 16 raw bytes and span names as UTF-8.
  const traceIdBytes = Buffer.from(traceId, 'hex');
  const gatewaySpanNames = ['POST /graphql', 'mutation PlaceOrder', 'gateway.plan', 'gateway.fetch'];
  /** The gateway's span names found in its protobuf exports of this trace. */
  const gatewayExported = () => {
    const bodies = received
      .filter((r) => r.path === '/v1/traces' && r.contentType === 'application/x-protobuf' && r.body.includes(traceIdBytes))
      .map((r) => r.body);
    return gatewaySpanNames.filter((name) => bodies.some((body) => body.includes(Buffer.from(name))));
  };
  const deadline = Date.now() + 10_000;
  let spans = spansOf(traceId);
  while (
    Date.now() < deadline &&
    !(
      ['users', 'orders'].every((service) => spans.get(service)?.includes('POST /graphql')) &&
      gatewayExported().length === gatewaySpanNames.length
    )
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    spans = spansOf(traceId);
  }

  expect(gatewayExported()).toEqual(gatewaySpanNames);
  expect(spans.get('orders')).toEqual(
    // The subgraphs' operation spans are named after the gateway's subgraph operations.
    expect.arrayContaining([
      'POST /graphql',
      'mutation PlaceOrder__orders__0',
      'grpc.user.v1.UserService/GetUser',
      'prisma:client:db_query',
    ]),
  );
  expect(spans.get('users')).toEqual(
    expect.arrayContaining(['POST /graphql', 'query PlaceOrder__users__1', 'grpc.user.v1.UserService/GetUser', 'prisma:client:db_query']),
  );
  expect(new Set(received.map((r) => r.path))).toEqual(new Set(['/v1/traces']));
}, 30_000);

test('when the gateway has exported its traces, then it never loaded Node’s bundled undici (the exporter’s imports of node:http get only Agent and request)', async () => {
  // The first test made the gateway export (its spans were received); the list is written at exit.
  expect(received.some((r) => r.contentType === 'application/x-protobuf')).toBe(true);
  expect(await platform.gateway.kill('SIGTERM')).toEqual({ code: 0, signal: null });

  const builtins = readFileSync(path.join(recordDir, 'builtins.txt'), 'utf8').split('\n');
  expect(builtins).toContain('NativeModule http');
  expect(builtins.filter((name) => name.includes('internal/deps/undici'))).toEqual([]);
});
