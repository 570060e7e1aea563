/**
 * Where a process's CPU time went, from a V8 `.cpuprofile` (`node --cpu-prof`). Also a
 * command: `node --import tsx bench/profile-summary.ts <file.cpuprofile>`.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a `.cpuprofile` used here. Times are µs on the system's monotonic clock (the one `process.hrtime` reads). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface ProfileShare {
  name: string;
  ms: number;
  /** Percent of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  /** Length of the window, ms. */
  wallMs: number;
  /** Sampled time the process was not idle, ms. */
  busyMs: number;
  /** Self time by function (`name file:line`), highest first. */
  functions: ProfileShare[];
  /** Self time by area: a package (from node_modules), a folder of this repo, Node's internals, GC. */
  areasSelf: ProfileShare[];
  /** Inclusive time by area: samples with that area anywhere on the stack (so shares add up to more than 100 %). */
  areasInclusive: ProfileShare[];
}

/** Which package or part of the repo a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  // node:internal/crypto/webcrypto → node:internal/crypto: Node's internals are one area per subsystem.
  if (url.startsWith('node:'))
    return `node:${url
      .slice(5)
      .split('/')
      .slice(0, url.startsWith('node:internal/') ? 2 : 1)
      .join('/')
      .replace(/\.js$/, '')}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first = '', second = ''] = url.slice(modules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const repo =
    /\/(gateway|shared|subgraphs\/[^/]+|bench)\/src\/([^/]+)/.exec(url) ?? /\/(gateway|shared|subgraphs\/[^/]+|bench)\/([^/]+)/.exec(url);
  if (repo) return `${repo[1]}/${repo[2]!.replace(/\.ts$/, '')}`;
  return url.replace(/^file:\/\//, '');
}

function shares(totals: Map<string, number>, busyUs: number, top: number): ProfileShare[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 10 }));
}

/**
 * Self and inclusive time by function and by area, over the samples inside `windows`
 * (µs, same clock as `process.hrtime`; default the whole profile), idle time left out.
 */
export function summarizeCpuProfile(profile: CpuProfile, windows?: { startUs: number; endUs: number }[], top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const spans = windows ?? [{ startUs: profile.startTime, endUs: profile.endTime }];
  const inside = (time: number) => spans.some((span) => time >= span.startUs && time <= span.endUs);
  const functions = new Map<string, number>();
  const areasSelf = new Map<string, number>();
  const areasInclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let busyUs = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (us <= 0 || !inside(time)) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busyUs += us;
    const frame = node.callFrame;
    add(functions, `${frame.functionName || '(anonymous)'} ${frame.url ? `${areaOf(frame)}:${frame.lineNumber + 1}` : ''}`.trim(), us);
    add(areasSelf, areaOf(frame), us);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const area = areaOf(byId.get(id)!.callFrame);
      if (area === '(root)' || seen.has(area)) continue;
      seen.add(area);
      add(areasInclusive, area, us);
    }
  }
  return {
    wallMs: Math.round(spans.reduce((total, span) => total + span.endUs - span.startUs, 0) / 1000),
    busyMs: Math.round(busyUs / 1000),
    functions: shares(functions, busyUs, top),
    // Areas are few: all of them (up to 60), so two processes' areas can be set side by side.
    areasSelf: shares(areasSelf, busyUs, 60),
    areasInclusive: shares(areasInclusive, busyUs, 60),
  };
}

/** A summary as text: areas (self, inclusive) and the hottest functions. */
export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const list = (items: ProfileShare[]) =>
    items.map((item) => `  ${item.percent.toFixed(1).padStart(5)} %  ${item.ms.toFixed(0).padStart(7)} ms  ${item.name}`);
  return [
    `${title}: ${summary.busyMs} ms of CPU in ${summary.wallMs} ms`,
    'self time by area:',
    ...list(summary.areasSelf),
    'inclusive time by area (on the stack):',
    ...list(summary.areasInclusive),
    'self time by function:',
    ...list(summary.functions),
  ].join('\n');
}

/**
 * Two processes' CPU per request, area by area (self time ÷ responses in the profiled rounds),
 * largest difference first: what one spends beyond the other, and on what.
 */
export function formatAreaComparison(
  title: string,
  ours: { summary: ProfileSummary; requests: number },
  theirs: { summary: ProfileSummary; requests: number },
  top = 20,
): string {
  const perRequest = (side: { summary: ProfileSummary; requests: number }) =>
    new Map(side.summary.areasSelf.map((area) => [area.name, side.requests === 0 ? 0 : (area.ms * 1000) / side.requests]));
  const [mine, other] = [perRequest(ours), perRequest(theirs)];
  const rows = [...new Set([...mine.keys(), ...other.keys()])]
    .map((name) => ({ name, ours: mine.get(name) ?? 0, theirs: other.get(name) ?? 0 }))
    .sort((a, b) => Math.abs(b.ours - b.theirs) - Math.abs(a.ours - a.theirs))
    .slice(0, top);
  const us = (value: number) => value.toFixed(0).padStart(6);
  const total = (side: { summary: ProfileSummary; requests: number }) =>
    side.requests === 0 ? 0 : (side.summary.busyMs * 1000) / side.requests;
  return [
    `${title}: ${total(ours).toFixed(0)} µs against ${total(theirs).toFixed(0)} µs (${ours.requests} and ${theirs.requests} responses)`,
    '    ours  theirs    diff  area (self time, µs per request)',
    ...rows.map(
      (row) =>
        `  ${us(row.ours)}  ${us(row.theirs)}  ${row.ours >= row.theirs ? '+' : '-'}${Math.abs(row.ours - row.theirs)
          .toFixed(0)
          .padStart(5)}  ${row.name}`,
    ),
  ].join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>');
    process.exit(1);
  }
  console.log(formatProfileSummary(file, summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)));
}
