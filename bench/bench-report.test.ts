import { checkTargets, formatReport, throughputRatios, type BenchReport, type GatewayResult, type ScenarioResult } from './bench-report';
import { summarizeLatencies } from './load-driver';

function result(gateway: GatewayResult['gateway'], requestsPerSecond: number, overrides: Partial<GatewayResult> = {}): GatewayResult {
  return {
    gateway,
    label: gateway,
    rounds: 2,
    requests: requestsPerSecond * 10,
    durationSeconds: 10,
    requestsPerSecond,
    roundRequestsPerSecond: [requestsPerSecond - 1, requestsPerSecond + 1],
    latencyMs: { p50: 10, p95: 20, p99: 30, max: 40 },
    errors: { non2xx: 0, graphql: 0, transport: 0 },
    firstError: null,
    warmup: { requests: 50, wrong: 0, firstError: null },
    sqlPerRequest: { users: 1, orders: 3 },
    sqlProbe: [
      { size: 2, users: 1, orders: 3 },
      { size: 20, users: 1, orders: 3 },
    ],
    cpuMsPerRequest: { gateway: 2, users: 1, orders: 1.5 },
    peakRssMiB: { gateway: 300, users: 250, orders: 260 },
    ...overrides,
  };
}

function scenario(number: number, results: GatewayResult[]): ScenarioResult {
  return { id: `s${number}`, number, title: `scenario ${number}`, results, ratios: throughputRatios(results) };
}

describe('throughputRatios', () => {
  test('when all three gateways ran, then ours is divided by each peer, for throughput and for gateway CPU per request', () => {
    const ratios = throughputRatios([
      result('ours', 90),
      result('apollo', 100, { cpuMsPerRequest: { gateway: 1.6, users: 1, orders: 1 } }),
      result('hive', 120),
    ]);
    expect(ratios).toEqual({ vsApollo: 0.9, vsHive: 0.75, cpuVsApollo: 1.25, cpuVsHive: 1 });
  });

  test('when a peer did not run or measured nothing, then its ratio is null', () => {
    expect(throughputRatios([result('ours', 90), result('apollo', 0)])).toMatchObject({ vsApollo: null, vsHive: null });
  });
});

describe('checkTargets', () => {
  test('when ours reaches 0.9× Apollo but not Hive on scenario 3, then exactly that target is missed', () => {
    const checks = checkTargets([
      scenario(2, [result('ours', 100), result('apollo', 105), result('hive', 95)]),
      scenario(3, [result('ours', 95), result('apollo', 100), result('hive', 120)]),
    ]);
    expect(checks.filter((check) => check.met === false).map((check) => check.target)).toEqual(['scenario 3: ours ≥ 1.0× Hive']);
    expect(checks.filter((check) => check.met === true)).toHaveLength(5);
  });

  test('when a larger page costs more statements through any gateway, then the SQL target is missed by that difference', () => {
    const growing = result('hive', 100, {
      sqlProbe: [
        { size: 5, users: 2, orders: 2 },
        { size: 50, users: 2, orders: 11 },
      ],
    });
    const [sql] = checkTargets([scenario(3, [result('ours', 100), growing])]).filter((check) => check.target.includes('SQL'));
    expect(sql).toMatchObject({ met: false, value: 9 });
  });

  test('when a peer was not run, then its targets are reported as not measured', () => {
    const checks = checkTargets([scenario(2, [result('ours', 100)])]);
    expect(checks.filter((check) => check.target.includes('×')).every((check) => check.met === null)).toBe(true);
  });
});

describe('formatReport', () => {
  test('when a report is formatted, then each scenario has a row per gateway, its ratios and the targets follow', () => {
    const scenarios = [scenario(1, [result('ours', 250), result('apollo', 200), result('hive', 300)])];
    const report: BenchReport = {
      startedAt: '2026-11-25T12:00:00.000Z',
      finishedAt: '2026-11-25T12:05:00.000Z',
      command: 'npm run bench',
      machine: {
        cpus: 2,
        cpuModel: 'test cpu',
        memoryGiB: 24,
        node: 'v24.21.0',
        os: 'Linux',
        loadBefore: [0.5, 0.4, 0.3],
        loadAfter: [2, 1, 0.5],
        otherCpuPercent: { mean: 1.5, max: 4 },
      },
      git: { commit: 'abcdef0123456789', uncommitted: [] },
      telemetry: { otlpExports: 3, otlpBytes: 4096 },
      options: { quick: false, warmupSeconds: 5, durationSeconds: 18, rounds: 3, connections: 10, accounts: 50, profile: false },
      seed: { users: 1000, orders: 20000, orderItems: 60000, products: 200, seconds: 2 },
      startupSeconds: {},
      scenarios,
      targets: checkTargets(scenarios),
    };
    const text = formatReport(report);
    expect(text).toContain('load average before 0.50, 0.40, 0.30');
    expect(text).toMatch(/^ours\s+250\.0\s+10\.0\s+20\.0\s+30\.0\s+0\s+1\.00\s+3\.00/m);
    expect(text).toContain('throughput ours/apollo 1.25×, ours/hive 0.83×');
    expect(text).toContain('met          scenario 1: ours ≥ 0.9× bare Apollo (1.25)');
  });
});

describe('summarizeLatencies', () => {
  test('when there are 100 samples 1..100 ms, then p50, p95 and p99 are the nearest ranks', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarizeLatencies(samples)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100 });
  });

  test('when there are no samples, then everything is 0', () => {
    expect(summarizeLatencies([])).toEqual({ p50: 0, p95: 0, p99: 0, max: 0 });
  });
});
