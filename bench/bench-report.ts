import type { GatewayId } from './bench-stack';
import type { LatencySummary } from './load-driver';

export type ProcessRole = 'gateway' | 'users' | 'orders';

/** SQL statements one request caused in each subgraph (exact: a single request, nothing else running). */
export interface SqlProbe {
  /** Page size asked for (null: a write). */
  size: number | null;
  users: number;
  orders: number;
}

/** One gateway on one scenario. */
export interface GatewayResult {
  gateway: GatewayId;
  label: string;
  /** Measured rounds, interleaved with the other gateways' (so load from elsewhere hits all alike). */
  rounds: number;
  requests: number;
  durationSeconds: number;
  /** Over all rounds. */
  requestsPerSecond: number;
  /** Each round's, to show the spread. */
  roundRequestsPerSecond: number[];
  latencyMs: LatencySummary;
  /** While measuring: non-2xx, 2xx with GraphQL errors, no response. */
  errors: { non2xx: number; graphql: number; transport: number };
  firstError: string | null;
  /** Warm-up responses, each checked in full (JSON, no errors, the data the scenario expects). */
  warmup: { requests: number; wrong: number; firstError: string | null };
  /** Statements per request while measuring (request-origin counter delta / responses). */
  sqlPerRequest: { users: number; orders: number };
  /** Exact statements of single requests: a small and a large page for reads, one write. */
  sqlProbe: SqlProbe[];
  /** CPU time per response, ms, of each process. */
  cpuMsPerRequest: Record<ProcessRole, number | null>;
  /** Peak RSS while warming up and measuring, MiB, of each process. */
  peakRssMiB: Record<ProcessRole, number | null>;
}

export interface ScenarioResult {
  id: string;
  number: number;
  title: string;
  results: GatewayResult[];
  /**
   * Our throughput divided by each peer's (the issue's targets), and our gateway process's CPU
   * time per request divided by each peer's (lower is better; far less sensitive than
   * throughput to load from elsewhere on the machine). Null when either did not run.
   */
  ratios: { vsApollo: number | null; vsHive: number | null; cpuVsApollo: number | null; cpuVsHive: number | null };
}

export interface TargetCheck {
  target: string;
  /** The number the target is about (a ratio; for SQL, the largest difference between page sizes). */
  value: number | null;
  /** null: not measured in this run. */
  met: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    os: string;
    /** 1, 5 and 15-minute load averages (what `uptime` prints) before and after the run. */
    loadBefore: number[];
    loadAfter: number[];
    /** Share of the machine's CPU used by processes other than the benchmark's during the measured rounds, %: the noise (null: unknown). */
    otherCpuPercent: { mean: number; max: number } | null;
  };
  /** The code measured: HEAD and the files that differed from it (other work in progress is measured too). */
  git: { commit: string; uncommitted: string[] };
  /** The services' OpenTelemetry preload, and the OTLP exports our gateway sent to the sink (0: its trace export was not on). */
  telemetry: { otlpExports: number; otlpBytes: number };
  options: {
    quick: boolean;
    warmupSeconds: number;
    durationSeconds: number;
    rounds: number;
    connections: number;
    accounts: number;
    profile: boolean;
  };
  seed: { users: number; orders: number; orderItems: number; products: number; seconds: number };
  startupSeconds: Record<string, number>;
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  /** Present with --profile: where our gateway's and the subgraphs' CPU time went, per scenario. */
  profiles?: Record<string, unknown>;
  /** Present with --memory-limit: each process's cgroup limit, the most it held and how often it hit the limit. */
  memoryCgroups?: { limitMiB: number; byProcess: Record<string, { peakMiB: number; limitHits: number }> };
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Ours / apollo and ours / hive: requests per second, and gateway CPU ms per request. */
export function throughputRatios(results: GatewayResult[]): ScenarioResult['ratios'] {
  const ratio = (pick: (result: GatewayResult) => number | null, peer: GatewayId) => {
    const find = (id: GatewayId) => results.find((result) => result.gateway === id);
    const ours = find('ours');
    const theirs = find(peer);
    const [a, b] = [ours ? pick(ours) : null, theirs ? pick(theirs) : null];
    return a === null || b === null || b === 0 ? null : round(a / b, 3);
  };
  const rps = (result: GatewayResult) => result.requestsPerSecond;
  const cpu = (result: GatewayResult) => result.cpuMsPerRequest.gateway;
  return { vsApollo: ratio(rps, 'apollo'), vsHive: ratio(rps, 'hive'), cpuVsApollo: ratio(cpu, 'apollo'), cpuVsHive: ratio(cpu, 'hive') };
}

/**
 * The issue's targets: ours ≥ 0.9× bare Apollo on every scenario; ours ≥ 1.0× Hive on
 * scenarios 2 and 3; SQL statements per request the same for a small and a large page
 * (constant in the users and orders returned), through every gateway.
 */
export function checkTargets(scenarios: ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const scenario of scenarios) {
    const value = scenario.ratios.vsApollo;
    checks.push({ target: `scenario ${scenario.number}: ours ≥ 0.9× bare Apollo`, value, met: value === null ? null : value >= 0.9 });
  }
  for (const scenario of scenarios.filter((s) => s.number === 2 || s.number === 3)) {
    const value = scenario.ratios.vsHive;
    checks.push({ target: `scenario ${scenario.number}: ours ≥ 1.0× Hive`, value, met: value === null ? null : value >= 1.0 });
  }
  for (const scenario of scenarios) {
    const pairs = scenario.results.filter((result) => result.sqlProbe.length === 2);
    if (pairs.length === 0) continue;
    const spread = Math.max(
      ...pairs.map(({ sqlProbe: [small, large] }) =>
        Math.max(Math.abs(large!.users - small!.users), Math.abs(large!.orders - small!.orders)),
      ),
    );
    checks.push({
      target: `scenario ${scenario.number}: SQL statements per request constant in rows returned (page ${pairs[0]!.sqlProbe[0]!.size} vs ${pairs[0]!.sqlProbe[1]!.size})`,
      value: spread,
      met: spread === 0,
    });
  }
  return checks;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '))
    .join('\n');
}

const show = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? '–' : value.toFixed(digits));

/** The human-readable report: one table per scenario, ratios, then the targets. */
export function formatReport(report: BenchReport): string {
  const lines: string[] = [
    `fedshop gateway benchmark · ${report.startedAt} · ${report.command}`,
    `machine: ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}; ` +
      `load average before ${report.machine.loadBefore.map((n) => n.toFixed(2)).join(', ')}, after ${report.machine.loadAfter.map((n) => n.toFixed(2)).join(', ')}; ` +
      `CPU used by others while measuring: ${report.machine.otherCpuPercent ? `${report.machine.otherCpuPercent.mean} % mean, ${report.machine.otherCpuPercent.max} % max` : 'unknown'}`,
    `code: ${report.git.commit.slice(0, 12)}${report.git.uncommitted.length > 0 ? ` + ${report.git.uncommitted.length} uncommitted files` : ''}; ` +
      `our gateways' trace export (ours: one request in ten sampled): ${report.telemetry.otlpExports} OTLP requests, ${Math.round(report.telemetry.otlpBytes / 1024)} KiB`,
    `seed: ${report.seed.users} users, ${report.seed.orders} orders, ${report.seed.orderItems} order items, ${report.seed.products} products (${report.seed.seconds} s)`,
    `load: ${report.options.connections} connections; per scenario and gateway ${report.options.warmupSeconds} s warm-up, then ${report.options.durationSeconds} s measured in ${report.options.rounds} round(s), gateways taking turns`,
  ];
  if (report.options.profile)
    lines.push("NOTE: our gateway and the subgraphs ran under --cpu-prof: this run's numbers are slower than without, ours most.");
  if (report.memoryCgroups) {
    const held = Object.entries(report.memoryCgroups.byProcess).map(
      ([name, cgroup]) => `${name} ${cgroup.peakMiB} MiB${cgroup.limitHits > 0 ? ` (limit hit ${cgroup.limitHits}×)` : ''}`,
    );
    lines.push(`memory: each process in a ${report.memoryCgroups.limitMiB} MiB cgroup; the most each held: ${held.join(', ')}`);
  }
  for (const scenario of report.scenarios) {
    lines.push('', `Scenario ${scenario.number} · ${scenario.title}`);
    const rows = [
      [
        'gateway',
        'req/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'errors',
        'SQL/req users',
        'orders',
        'CPU ms/req gw',
        'users',
        'orders',
        'peak RSS MiB gw',
        'users',
        'orders',
      ],
      ...scenario.results.map((result) => [
        result.label,
        show(result.requestsPerSecond),
        show(result.latencyMs.p50),
        show(result.latencyMs.p95),
        show(result.latencyMs.p99),
        String(result.errors.non2xx + result.errors.graphql + result.errors.transport + result.warmup.wrong),
        show(result.sqlPerRequest.users, 2),
        show(result.sqlPerRequest.orders, 2),
        show(result.cpuMsPerRequest.gateway, 2),
        show(result.cpuMsPerRequest.users, 2),
        show(result.cpuMsPerRequest.orders, 2),
        show(result.peakRssMiB.gateway, 0),
        show(result.peakRssMiB.users, 0),
        show(result.peakRssMiB.orders, 0),
      ]),
    ];
    lines.push(table(rows));
    const ratio = (name: string, value: number | null) => (value === null ? null : `ours/${name} ${value.toFixed(2)}×`);
    const ratios = [ratio('apollo', scenario.ratios.vsApollo), ratio('hive', scenario.ratios.vsHive)].filter(Boolean);
    if (ratios.length > 0) lines.push(`throughput ${ratios.join(', ')}`);
    const cpuRatios = [ratio('apollo', scenario.ratios.cpuVsApollo), ratio('hive', scenario.ratios.cpuVsHive)].filter(Boolean);
    if (cpuRatios.length > 0) lines.push(`gateway CPU per request ${cpuRatios.join(', ')} (lower is cheaper)`);
    if (scenario.results.some((result) => result.rounds > 1)) {
      lines.push(
        `req/s per round: ${scenario.results.map((result) => `${result.gateway} ${result.roundRequestsPerSecond.map((n) => n.toFixed(0)).join('/')}`).join(' · ')}`,
      );
    }
    for (const result of scenario.results) {
      const probe = result.sqlProbe
        .map((p) => `${p.size === null ? 'one write' : `page ${p.size}`}: users ${p.users}, orders ${p.orders}`)
        .join('; ');
      lines.push(`  SQL per single request via ${result.gateway}: ${probe}`);
      const problem = result.warmup.firstError ?? result.firstError;
      if (problem) lines.push(`  ! ${result.gateway}: ${problem}`);
    }
  }
  lines.push('', 'Targets (issue 8):');
  for (const check of report.targets) {
    const mark = check.met === null ? 'not measured' : check.met ? 'met' : 'MISSED';
    lines.push(`  ${mark.padEnd(12)} ${check.target}${check.value === null ? '' : ` (${check.value})`}`);
  }
  return lines.join('\n');
}
