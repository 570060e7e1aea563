import { areaOf, formatAreaComparison, summarizeCpuProfile, type CpuProfile, type ProfileSummary } from './profile-summary';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

describe('areaOf', () => {
  test.each([
    ['file:///work/main/node_modules/@apollo/gateway/dist/executeQueryPlan.js', '@apollo/gateway'],
    ['file:///work/main/node_modules/undici/lib/web/fetch/index.js', 'undici'],
    ['node:internal/crypto/webcrypto', 'node:internal/crypto'],
    ['node:net', 'node:net'],
    ['file:///work/main/gateway/src/edge/rate-limit.ts', 'gateway/edge'],
    ['file:///work/main/shared/src/http/http-server.ts', 'shared/http'],
  ])('when a frame comes from %s, then its area is %s', (url, area) => {
    expect(areaOf(frame('f', url))).toBe(area);
  });

  test('when a frame has no URL, then it is native or one of V8’s own entries', () => {
    expect(areaOf(frame('(garbage collector)'))).toBe('(garbage collector)');
    expect(areaOf(frame('writev'))).toBe('(native)');
  });
});

describe('summarizeCpuProfile', () => {
  // root → handler (gateway) → verify (jose); samples every 1 ms: idle, handler, verify, verify, idle.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4] },
      { id: 2, callFrame: frame('handler', 'file:///r/gateway/src/edge/request-admission.ts', 9), children: [3] },
      { id: 3, callFrame: frame('verify', 'file:///r/node_modules/jose/dist/verify.js', 1) },
      { id: 4, callFrame: frame('(idle)') },
    ],
    startTime: 0,
    endTime: 5_000,
    samples: [4, 2, 3, 3, 4],
    timeDeltas: [0, 1_000, 1_000, 1_000, 1_000],
  };

  test('when summarized, then idle time is left out and self and inclusive time are attributed by area', () => {
    const summary = summarizeCpuProfile(profile);
    expect(summary.busyMs).toBe(3);
    expect(summary.areasSelf).toEqual([
      { name: 'jose', ms: 2, percent: 66.7 },
      { name: 'gateway/edge', ms: 1, percent: 33.3 },
    ]);
    expect(summary.areasInclusive.find((area) => area.name === 'gateway/edge')?.percent).toBe(100);
    expect(summary.functions[0]?.name).toBe('verify jose:2');
  });

  test('when windows are given, then only samples inside them count', () => {
    expect(summarizeCpuProfile(profile, [{ startUs: 2_500, endUs: 3_500 }]).busyMs).toBe(1);
  });
});

describe('formatAreaComparison', () => {
  const summary = (busyMs: number, areas: Record<string, number>): ProfileSummary => ({
    wallMs: 1000,
    busyMs,
    functions: [],
    areasSelf: Object.entries(areas).map(([name, ms]) => ({ name, ms, percent: (ms / busyMs) * 100 })),
    areasInclusive: [],
  });

  test('when two gateways are set side by side, then each area is µs per response, the largest difference first, areas of one side only included', () => {
    const text = formatAreaComparison(
      'ours vs Apollo',
      { summary: summary(200, { '@apollo/gateway': 100, undici: 50, 'gateway/dist': 50 }), requests: 1000 },
      { summary: summary(300, { '@apollo/gateway': 100, 'minipass-fetch': 200 }), requests: 2000 },
    );
    expect(text.split('\n')).toEqual([
      'ours vs Apollo: 200 µs against 150 µs (1000 and 2000 responses)',
      '    ours  theirs    diff  area (self time, µs per request)',
      '       0     100  -  100  minipass-fetch',
      '     100      50  +   50  @apollo/gateway',
      '      50       0  +   50  undici',
      '      50       0  +   50  gateway/dist',
    ]);
  });
});
