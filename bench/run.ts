/**
 * `npm run bench [-- --quick]`: issue 8's gateway benchmark. Seeds a realistic volume into a
 * throw-away PostgreSQL, starts the two subgraphs and three gateways as their own processes
 * (ours with auth, limits and telemetry; a bare Apollo Gateway; Hive Gateway) on the same
 * subgraphs and supergraph, then drives each scenario through each gateway in turn: probe,
 * warm-up, measured window. Prints the tables and the targets, writes the same as JSON to
 * bench/results/latest.json. Options: `npm run bench -- --help`. Numbers and how to read
 * them: BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_USAGE, parseBenchOptions, type BenchOptions } from './bench-options';
import { checkTargets, formatReport, throughputRatios, type BenchReport, type ScenarioResult } from './bench-report';
import { GATEWAYS, profiledGatewayIds, profileNameOf, type GatewayId } from './bench-gateways';
import { startBenchStack, type RunningGateway } from './bench-stack';
import { combineRounds, measureRound, probeScenario, warmUp, type RoundResult, type WarmupResult } from './measure-scenario';
import { formatAreaComparison, formatProfileSummary, summarizeCpuProfile, type CpuProfile, type ProfileSummary } from './profile-summary';
import { measureSubscriptions } from './subscription-scenario';

type Window = { startUs: number; endUs: number };
/** The measured rounds of one gateway per case (`<scenario>/<form>`): their bounds and how many responses they got. */
type CaseWindows = Map<string, { windows: Window[]; requests: number }>;

const began = Date.now();
const log = (line: string) => process.stderr.write(`[bench +${((Date.now() - began) / 1000).toFixed(1)} s] ${line}\n`);

/**
 * Every gateway of a run is compiled JavaScript on plain Node: ours and the subgraphs as the
 * images run them (`npm run build`), the peers from bench/gateways (their own tsconfig).
 */
function buildGateways(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  const repoRoot = path.resolve(__dirname, '..');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync(process.execPath, [tsc, '-p', 'bench/gateways'], { cwd: repoRoot, stdio: 'inherit' });
}

async function main(): Promise<void> {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(BENCH_USAGE);
    return;
  }
  const options: BenchOptions = parsed;
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const resultsDir = path.dirname(options.output);
  mkdirSync(resultsDir, { recursive: true });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-bench-'));
  const profileDir = options.profile ? path.join(resultsDir, 'profiles', startedAt.toISOString().replace(/[:.]/g, '-')) : undefined;
  log(`load average ${loadBefore.map((n) => n.toFixed(2)).join(', ')}; work dir ${workDir}`);
  buildGateways();

  const stack = await startBenchStack({
    gateways: options.gateways,
    workDir,
    accounts: options.accounts,
    cpuProfileDir: profileDir,
    databaseServerUrl: options.databaseServerUrl,
    memoryLimitMiB: options.memoryLimitMiB,
    log,
  }).catch((error: unknown) => {
    log(`service logs kept in ${workDir}`);
    throw error;
  });
  const runId = startedAt.getTime().toString(36);
  const scenarios: ScenarioResult[] = [];
  const profiled = profiledGatewayIds(options.gateways);
  const windows = { byGateway: new Map<GatewayId, CaseWindows>(profiled.map((id) => [id, new Map()])), all: new Map() as CaseWindows };
  let failed = true;
  let telemetry: { requests: number; bytes: number };
  let memoryCgroups: BenchReport['memoryCgroups'];
  const otherCpu: number[] = [];
  const subscriptionResults: NonNullable<BenchReport['subscriptions']> = [];
  const contextFor = (gateway: RunningGateway) => ({
    customerTokens: stack.customerTokens,
    adminToken: stack.adminToken,
    skus: stack.seed.skus,
    keyPrefix: `bench-${runId}-${gateway.id}`,
  });
  try {
    // Exact statements per request first, while nothing else runs.
    log('probing every scenario through every gateway (single requests, SQL counted exactly)');
    const probes = new Map<string, Awaited<ReturnType<typeof probeScenario>>>();
    for (const scenario of options.scenarios) {
      for (const gateway of stack.gateways)
        probes.set(`${scenario.id}/${gateway.id}`, await probeScenario(stack, gateway, scenario, contextFor(gateway)));
    }
    // Each scenario in each of its forms the run asks for: a case of its own (probe shared).
    const cases = options.scenarios.flatMap((scenario) =>
      options.forms.filter((form) => scenario.forms.includes(form)).map((form) => ({ scenario, form, key: `${scenario.id}/${form}` })),
    );
    for (const [scenarioIndex, { scenario, form, key: caseKey }] of cases.entries()) {
      const requestsOf = new Map(
        stack.gateways.map((gateway) => [
          gateway.id,
          scenario.requests({ ...contextFor(gateway), keyPrefix: `${contextFor(gateway).keyPrefix}-${form}` }, { form }),
        ]),
      );
      const warmups = new Map<string, WarmupResult>();
      for (const gateway of stack.gateways) {
        log(`scenario ${scenario.number} (${caseKey}): warming up ${gateway.label}`);
        warmups.set(gateway.id, await warmUp(stack, gateway, scenario, requestsOf.get(gateway.id)!, options));
      }
      const rounds = new Map<string, RoundResult[]>(stack.gateways.map((gateway) => [gateway.id, []]));
      for (let round = 0; round < options.rounds; round++) {
        // Each round starts with the next gateway, and each scenario with another one than the
        // last, so none always follows the same one or always goes first (a first round can
        // catch the subgraphs' garbage collection or JIT still settling after the warm-ups).
        const order = stack.gateways.map((_, i) => stack.gateways[(i + round + scenarioIndex) % stack.gateways.length]!);
        for (const gateway of order) {
          const result = await measureRound(stack, gateway, scenario, requestsOf.get(gateway.id)!, {
            ...options,
            roundSeconds: options.durationSeconds / options.rounds,
          });
          rounds.get(gateway.id)!.push(result);
          for (const caseWindows of [windows.byGateway.get(gateway.id), windows.all]) {
            if (!caseWindows) continue;
            const sofar = caseWindows.get(caseKey) ?? { windows: [], requests: 0 };
            caseWindows.set(caseKey, { windows: [...sofar.windows, result.window], requests: sofar.requests + result.load.requests });
          }
          const errors = result.load.errors.non2xx + result.load.errors.graphql + result.load.errors.transport;
          if (result.otherCpuPercent !== null) otherCpu.push(result.otherCpuPercent);
          log(
            `scenario ${scenario.number} ${form} round ${round + 1}/${options.rounds}, ${gateway.label}: ${result.load.requestsPerSecond} req/s, ` +
              `p99 ${result.load.latencyMs.p99} ms, ${errors} errors (CPU used by others: ${result.otherCpuPercent ?? '?'} %)`,
          );
        }
      }
      const results = stack.gateways.map((gateway) =>
        combineRounds(gateway, probes.get(`${scenario.id}/${gateway.id}`)!, warmups.get(gateway.id)!, rounds.get(gateway.id)!),
      );
      scenarios.push({ id: scenario.id, number: scenario.number, title: scenario.title, form, results, ratios: throughputRatios(results) });
    }
    // Subscriptions (issue 14): ours and Hive Gateway, which serve federated subscriptions; Apollo Gateway does not.
    for (const [countIndex, subscribers] of options.subscribers.entries()) {
      const serving = stack.gateways.filter((candidate) => ['ours', 'ours-nosubdedup', 'hive'].includes(candidate.id));
      // Each count starts with another gateway than the last, so neither always goes first.
      for (const gateway of serving.map((_, i) => serving[(i + countIndex) % serving.length]!)) {
        log(`subscriptions: ${subscribers} subscribers through ${gateway.label}`);
        const result = await measureSubscriptions({
          gatewayUrl: gateway.url,
          gatewayPid: gateway.process.pid,
          ordersUrl: stack.orders.url,
          tokens: stack.customerTokens,
          skus: stack.seed.skus,
          subscribers,
          ordersPerSecond: options.subscriptionOrdersPerSecond,
          seconds: options.subscriptionSeconds,
          log,
        });
        log(
          `  ${result.deliveriesReceived}/${result.deliveriesExpected} delivered, ${result.eventsPerSecond} events/s, answer→receipt p50 ${result.latencyFromAnswerMs.p50} ms p99 ${result.latencyFromAnswerMs.p99} ms, ` +
            `CPU ${result.gatewayCpuPercent} %, RSS ${result.rssPerThousandSubscriptionsMiB} MiB per 1000`,
        );
        subscriptionResults.push({
          gateway: gateway.id,
          ordersPerSecond: options.subscriptionOrdersPerSecond,
          seconds: options.subscriptionSeconds,
          result,
        });
      }
    }
    failed = false;
  } finally {
    telemetry = stack.otlpSink.received();
    memoryCgroups = options.memoryLimitMiB ? { limitMiB: options.memoryLimitMiB, byProcess: stack.memoryCgroups() } : undefined;
    // Stopping the gateways is also what makes the profiled ones write their CPU profiles (and ours flush its last spans).
    await stack.stop();
    if (failed) log(`service logs kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }

  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      loadBefore: loadBefore.map((n) => Math.round(n * 100) / 100),
      loadAfter: os.loadavg().map((n) => Math.round(n * 100) / 100),
      otherCpuPercent:
        otherCpu.length === 0
          ? null
          : { mean: Math.round((otherCpu.reduce((a, b) => a + b, 0) / otherCpu.length) * 10) / 10, max: Math.max(...otherCpu) },
    },
    git: gitState(),
    telemetry: { otlpExports: telemetry.requests, otlpBytes: telemetry.bytes },
    options: {
      quick: options.quick,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      rounds: options.rounds,
      forms: options.forms,
      connections: options.connections,
      accounts: options.accounts,
      profile: options.profile,
    },
    seed: { ...stack.seed.counts, seconds: stack.timings.seed ?? 0 },
    startupSeconds: stack.timings,
    scenarios,
    targets: checkTargets(scenarios),
  };
  if (profileDir) report.profiles = summarizeProfiles(profileDir, windows);
  if (memoryCgroups) report.memoryCgroups = memoryCgroups;
  if (subscriptionResults.length > 0) report.subscriptions = subscriptionResults;
  console.log(formatReport(report));
  writeFileSync(options.output, `${JSON.stringify(report, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), options.output)}; finished in ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

/** HEAD and the files that differ from it, outside bench/ (which is this harness). */
function gitState(): BenchReport['git'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' }).trimEnd(); // not trim(): porcelain lines start with a space
  try {
    const uncommitted = git('status', '--porcelain')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3))
      .filter((file) => !file.startsWith('bench/'));
    return { commit: git('rev-parse', 'HEAD'), uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

/**
 * Each profiled process's CPU profile cut to the scenarios' measured rounds (a gateway: its own
 * rounds; the subgraphs: every gateway's rounds, as they served them all); summaries printed and
 * kept next to the profiles. With ours and the bare Apollo Gateway both profiled, each case also
 * gets their CPU per request side by side, area by area: where ours spends beyond Apollo's.
 */
function summarizeProfiles(
  profileDir: string,
  windows: { byGateway: Map<GatewayId, CaseWindows>; all: CaseWindows },
): Record<string, unknown> {
  const summaries: Record<string, unknown> = { dir: profileDir };
  const text: string[] = [];
  const processes: { name: string; title: string; cases: CaseWindows }[] = [
    ...[...windows.byGateway].map(([id, cases]) => ({
      name: profileNameOf(id),
      title: GATEWAYS.find((known) => known.id === id)!.label,
      cases,
    })),
    { name: 'users', title: 'users subgraph', cases: windows.all },
    { name: 'orders', title: 'orders subgraph', cases: windows.all },
  ];
  const gatewaySummaries = new Map<string, Map<string, { summary: ProfileSummary; requests: number }>>();
  for (const { name, title, cases } of processes) {
    const dir = path.join(profileDir, name);
    const file = existsSync(dir) ? readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile')) : undefined;
    if (!file) continue;
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const perScenario: Record<string, unknown> = {};
    const perCase = new Map<string, { summary: ProfileSummary; requests: number }>();
    for (const [scenario, { windows: spans, requests }] of cases) {
      const summary = summarizeCpuProfile(profile, spans);
      perScenario[scenario] = summary;
      perCase.set(scenario, { summary, requests });
      text.push(formatProfileSummary(`${title}, scenario ${scenario}`, summary), '');
    }
    if (name.startsWith('gateway')) gatewaySummaries.set(name, perCase);
    summaries[name] = perScenario;
  }
  const [ours, apollo] = [gatewaySummaries.get('gateway'), gatewaySummaries.get('gateway-apollo')];
  if (ours && apollo)
    for (const [scenario, mine] of ours) {
      const theirs = apollo.get(scenario);
      if (theirs)
        text.push(formatAreaComparison(`CPU per request by area, ours vs bare Apollo Gateway, scenario ${scenario}`, mine, theirs), '');
    }
  writeFileSync(path.join(profileDir, 'summary.txt'), text.join('\n'));
  console.log(text.join('\n'));
  return summaries;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
