import { availableParallelism } from 'node:os';
import { readMetric } from '@fedshop/shared/testing';
import type { GatewayResult, ProcessRole, SqlProbe } from './bench-report';
import type { BenchStack, RunningGateway } from './bench-stack';
import { driveLoad, summarizeLatencies, type LoadResult } from './load-driver';
import { cpuTimeMs, machineCpuMs, watchPeakMemory } from './process-stats';
import { checkResponse, type Scenario, type ScenarioContext, type ScenarioRequest } from './scenarios';

export interface MeasureOptions {
  warmupSeconds: number;
  connections: number;
}

/** SQL statements each subgraph has sent while serving requests so far. */
async function requestStatements(stack: BenchStack): Promise<{ users: number; orders: number }> {
  const [users, orders] = await Promise.all(
    [stack.users.url, stack.orders.url].map((url) => readMetric(url, 'db_client_statements_total', { origin: 'request' })),
  );
  return { users: users!, orders: orders! };
}

async function send(url: string, request: { body: string; token: string | null }): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(request.token ? { authorization: `Bearer ${request.token}` } : {}) },
    body: request.body,
  });
  return { status: response.status, body: await response.text() };
}

const perRequest = (total: number | null, requests: number, digits = 2) =>
  total === null || requests === 0 ? null : Math.round((total / requests) * 10 ** digits) / 10 ** digits;

/**
 * Resolves once neither subgraph has sent a statement for a while: requests a finished load
 * left in flight (autocannon stops waiting for them, the services do not) are done.
 */
async function waitForQuiet(stack: BenchStack, quietMs = 150, timeoutMs = 5_000): Promise<{ users: number; orders: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = await requestStatements(stack);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = await requestStatements(stack);
    if ((now.users === last.users && now.orders === last.orders) || Date.now() > deadline) return now;
    last = now;
  }
}

/**
 * Single requests, alone (nothing else may run meanwhile), each checked in full, with the
 * exact SQL statements it caused in each subgraph: a small and a large page for reads, one
 * write for placeOrder. Returns the statements and the first thing wrong, if any.
 */
export async function probeScenario(
  stack: BenchStack,
  gateway: RunningGateway,
  scenario: Scenario,
  context: ScenarioContext,
): Promise<{ sqlProbe: SqlProbe[]; error: string | null }> {
  const sqlProbe: SqlProbe[] = [];
  let error: string | null = null;
  const sizes = scenario.smallSize !== undefined ? [scenario.smallSize, scenario.size!] : [null];
  await waitForQuiet(stack);
  for (const size of sizes) {
    const request = scenario.requests({ ...context, keyPrefix: `${context.keyPrefix}-probe` }, size ?? undefined)();
    const before = await requestStatements(stack);
    const response = await send(gateway.url, request);
    const after = await requestStatements(stack);
    error ??= checkResponse(scenario, response.status, response.body, size ?? undefined);
    sqlProbe.push({ size, users: after.users - before.users, orders: after.orders - before.orders });
  }
  return { sqlProbe, error };
}

/** What warming one gateway up found: every response was checked in full. */
export interface WarmupResult {
  requests: number;
  wrong: number;
  firstError: string | null;
  peakRssMiB: Record<ProcessRole, number | null>;
}

/** One measured round of one gateway. */
export interface RoundResult {
  load: LoadResult;
  statements: { users: number; orders: number };
  cpuMs: Record<ProcessRole, number | null>;
  peakRssMiB: Record<ProcessRole, number | null>;
  /** The round's bounds, µs on process.hrtime's clock (to cut the CPU profile). */
  window: { startUs: number; endUs: number };
  /** Share of the machine's CPU that processes other than the benchmark's used during the round, % (null: unknown). */
  otherCpuPercent: number | null;
}

const rolePids = (stack: BenchStack, gateway: RunningGateway): Record<ProcessRole, number> => ({
  gateway: gateway.process.pid,
  users: stack.users.process.pid,
  orders: stack.orders.process.pid,
});

const asRoles = <T>(record: Record<string, T | undefined>): Record<ProcessRole, T | null> => ({
  gateway: record.gateway ?? null,
  users: record.users ?? null,
  orders: record.orders ?? null,
});

/** Load before measuring (JIT, caches, pools), every response checked in full. */
export async function warmUp(
  stack: BenchStack,
  gateway: RunningGateway,
  scenario: Scenario,
  nextRequest: () => ScenarioRequest,
  options: MeasureOptions,
): Promise<WarmupResult> {
  const memory = watchPeakMemory(rolePids(stack, gateway));
  const load = await driveLoad({
    url: gateway.url,
    connections: options.connections,
    durationSeconds: options.warmupSeconds,
    nextRequest,
    verify: 'full',
    check: (status, body) => checkResponse(scenario, status, body),
  });
  return {
    requests: load.requests,
    wrong: load.errors.non2xx + load.errors.graphql + load.errors.transport,
    firstError: load.firstError,
    peakRssMiB: asRoles(memory.stop()),
  };
}

/**
 * One measured round: throughput, latencies, errors (responses checked cheaply), the SQL
 * statements the round's requests caused, CPU time and peak memory of the gateway and both
 * subgraphs. Starts and ends with the subgraphs quiet, so statements belong to this round.
 */
export async function measureRound(
  stack: BenchStack,
  gateway: RunningGateway,
  scenario: Scenario,
  nextRequest: () => ScenarioRequest,
  options: MeasureOptions & { roundSeconds: number },
): Promise<RoundResult> {
  const pids = rolePids(stack, gateway);
  const statementsBefore = await waitForQuiet(stack);
  const memory = watchPeakMemory(pids);
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, cpuTimeMs(pid)]));
  const machineBefore = machineCpuMs();
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const load = await driveLoad({
    url: gateway.url,
    connections: options.connections,
    durationSeconds: options.roundSeconds,
    nextRequest,
    verify: 'cheap',
    check: (status, body) => checkResponse(scenario, status, body),
  });
  const endUs = Number(process.hrtime.bigint() / 1000n);
  const machineAfter = machineCpuMs();
  const otherCpuPercent =
    machineBefore && machineAfter
      ? (Math.max(0, machineAfter.busyMs - machineBefore.busyMs - (machineAfter.ownMs - machineBefore.ownMs)) /
          (((endUs - startUs) / 1000) * availableParallelism())) *
        100
      : null;
  const cpuMs = Object.fromEntries(
    Object.entries(pids).map(([role, pid]) => {
      const [before, after] = [cpuBefore[role], cpuTimeMs(pid)];
      return [role, before == null || after === null ? null : after - before];
    }),
  );
  const peakRssMiB = asRoles(memory.stop());
  // Requests still in flight when the round closed finish (and send their statements) first.
  const statementsAfter = await waitForQuiet(stack);
  return {
    load,
    statements: { users: statementsAfter.users - statementsBefore.users, orders: statementsAfter.orders - statementsBefore.orders },
    cpuMs: asRoles(cpuMs),
    peakRssMiB,
    window: { startUs, endUs },
    otherCpuPercent: otherCpuPercent === null ? null : Math.round(otherCpuPercent * 10) / 10,
  };
}

const maxOf = (values: (number | null)[]) => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.max(...known);
};

/**
 * One gateway's result on one scenario from its probe, warm-up and rounds: requests per
 * second over all rounds, percentiles over every response of every round, statements per
 * request sent, CPU per response, the highest peak memory seen.
 */
export function combineRounds(
  gateway: RunningGateway,
  probe: { sqlProbe: SqlProbe[]; error: string | null },
  warmup: WarmupResult,
  rounds: RoundResult[],
): GatewayResult {
  const sum = (pick: (round: RoundResult) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  const requests = sum((round) => round.load.requests);
  const sent = sum((round) => round.load.sent);
  const durationSeconds = sum((round) => round.load.durationSeconds);
  const cpu = (role: ProcessRole) =>
    rounds.some((round) => round.cpuMs[role] === null)
      ? null
      : perRequest(
          sum((round) => round.cpuMs[role]!),
          requests,
        );
  const peak = (role: ProcessRole) => maxOf([warmup.peakRssMiB[role], ...rounds.map((round) => round.peakRssMiB[role])]);
  return {
    gateway: gateway.id,
    label: gateway.label,
    rounds: rounds.length,
    requests,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    requestsPerSecond: durationSeconds === 0 ? 0 : Math.round((requests / durationSeconds) * 10) / 10,
    roundRequestsPerSecond: rounds.map((round) => round.load.requestsPerSecond),
    latencyMs: summarizeLatencies(rounds.flatMap((round) => round.load.latencies)),
    errors: {
      non2xx: sum((round) => round.load.errors.non2xx),
      graphql: sum((round) => round.load.errors.graphql),
      transport: sum((round) => round.load.errors.transport),
    },
    firstError: rounds.map((round) => round.load.firstError).find((error) => error !== null) ?? null,
    warmup: {
      requests: warmup.requests,
      wrong: warmup.wrong + (probe.error ? 1 : 0),
      firstError: probe.error ?? warmup.firstError,
    },
    sqlPerRequest: {
      users:
        perRequest(
          sum((round) => round.statements.users),
          sent,
        ) ?? 0,
      orders:
        perRequest(
          sum((round) => round.statements.orders),
          sent,
        ) ?? 0,
    },
    sqlProbe: probe.sqlProbe,
    cpuMsPerRequest: { gateway: cpu('gateway'), users: cpu('users'), orders: cpu('orders') },
    peakRssMiB: { gateway: peak('gateway'), users: peak('users'), orders: peak('orders') },
  };
}
