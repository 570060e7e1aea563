import type { ScaleScenarioReport } from './scale-scenario';
import { percentiles } from './scale-load';

/** The scenario's report as text: checks first, then what the clients saw, the faults and the balancer. */
export function formatScenarioReport(report: ScaleScenarioReport): string {
  const lines = [
    `scale-out scenario: ${(report.durationMs / 1000).toFixed(0)} s in all, load ${(report.load.durationMs / 1000).toFixed(0)} s`,
  ];
  lines.push('checks:');
  for (const check of report.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}`, `       ${check.detail}`);
  lines.push('operations (answered calls; retried errors; expected codes):');
  for (const [name, stats] of Object.entries(report.load.operations)) {
    if (stats.calls === 0) continue;
    const { p50, p99 } = percentiles(stats.latenciesMs);
    lines.push(
      `  ${name.padEnd(12)} ${String(stats.calls).padStart(6)} calls, ok ${stats.ok}, p50 ${p50} ms, p99 ${p99} ms` +
        `${Object.keys(stats.expected).length ? `, expected ${JSON.stringify(stats.expected)}` : ''}` +
        `${Object.keys(stats.retried).length ? `, retried ${JSON.stringify(stats.retried)}` : ''}` +
        `${Object.keys(stats.unexpected).length ? `, UNEXPECTED ${JSON.stringify(stats.unexpected)}` : ''}` +
        `${stats.gaveUp ? `, GAVE UP ${stats.gaveUp}` : ''}`,
    );
  }
  const orders = [...report.load.orders.values()];
  lines.push(
    `orders: ${orders.filter((order) => order.outcome === 'accepted').length} accepted, ${orders.filter((order) => order.outcome === 'rejected').length} refused (stock), ` +
      `${orders.filter((order) => order.cancelled).length} cancelled, ${orders.filter((order) => order.shipped).length} shipped`,
  );
  lines.push('faults (s since start) and the retryable errors clients met in the 10 s after each:');
  for (const event of report.events) {
    const after = report.load.retries.filter((retry) => retry.atMs >= event.atMs && retry.atMs < event.atMs + 10_000);
    const reasons = after.reduce<Record<string, number>>(
      (counts, retry) => ({ ...counts, [retry.reason]: (counts[retry.reason] ?? 0) + 1 }),
      {},
    );
    lines.push(
      `  ${(event.atMs / 1000).toFixed(1).padStart(6)} ${event.service.padEnd(8)} ${event.what}${after.length ? `  → ${JSON.stringify(reasons)}` : ''}`,
    );
  }
  const errors = report.errorLines.reduce<Record<string, number>>((counts, line) => ({ ...counts, [line]: (counts[line] ?? 0) + 1 }), {});
  lines.push(`error-level log lines of the replicas: ${report.errorLines.length}`);
  for (const [line, count] of Object.entries(errors).slice(0, 20)) lines.push(`  ${count}× ${line.slice(0, 200)}`);
  return lines.join('\n');
}
