import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Teardown } from './teardown';

/**
 * A memory cgroup of its own for one benchmark process, limited as the manifests limit the
 * containers (`--memory-limit 512`): Node sizes its heap from the limit it sees at start, and the
 * collector's behaviour near it is what a container would show. Named by the harness's pid too,
 * so two runs on one machine never share (or reset) each other's cgroups. cgroup v1's memory controller
 * where it is mounted (this machine), else cgroup v2. Needs root.
 */
export interface MemoryCgroup {
  /** `[command, args]` that enter the cgroup first and then exec `command args` (so Node starts inside it). */
  wrap(command: string, args: string[]): [string, string[]];
  /** The most the cgroup ever held, bytes. */
  peakBytes(): number;
  /** How often the limit was hit (v1 `memory.failcnt`, v2 `memory.events` max). */
  limitHits(): number;
  remove(): void;
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';

export function createMemoryCgroup(name: string, limitMiB: number): MemoryCgroup {
  const v1 = existsSync(path.join(V1_ROOT, 'memory.limit_in_bytes'));
  const dir = path.join(v1 ? V1_ROOT : V2_ROOT, `fedshop-bench-${process.pid}-${name.replace(/[^a-z0-9-]/gi, '-')}`);
  mkdirSync(dir, { recursive: true });
  const limit = String(limitMiB * 2 ** 20);
  if (v1) {
    writeFileSync(path.join(dir, 'memory.limit_in_bytes'), limit);
    writeFileSync(path.join(dir, 'memory.max_usage_in_bytes'), '0');
    writeFileSync(path.join(dir, 'memory.failcnt'), '0');
  } else {
    writeFileSync(path.join(dir, 'memory.max'), limit);
  }
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8').trim();
  return {
    wrap(command, args) {
      const quoted = [command, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
      return ['sh', ['-c', `echo $$ > '${path.join(dir, 'cgroup.procs')}' && exec ${quoted}`]];
    },
    peakBytes: () => Number(v1 ? read('memory.max_usage_in_bytes') : existsSync(path.join(dir, 'memory.peak')) ? read('memory.peak') : 0),
    limitHits: () => (v1 ? Number(read('memory.failcnt')) : Number(/^max (\d+)$/m.exec(read('memory.events'))?.[1] ?? 0)),
    remove() {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process (killed late): the kernel keeps it until then; harmless
      }
    },
  };
}

/** With `--memory-limit`: one memory cgroup per process of the stack, by name. */
export interface MemoryCgroups {
  /** A new cgroup for the process `name`, removed by the teardown; none without a limit. */
  create(name: string): MemoryCgroup | undefined;
  /** The most each cgroup ever held (MiB) and how often it hit the limit, by name, in the order created. */
  report(): Record<string, { peakMiB: number; limitHits: number }>;
}

export function createMemoryCgroups(limitMiB: number | undefined, teardown: Teardown): MemoryCgroups {
  const cgroups = new Map<string, MemoryCgroup>();
  return {
    create(name) {
      if (!limitMiB) return undefined;
      const cgroup = createMemoryCgroup(name, limitMiB);
      cgroups.set(name, cgroup);
      teardown.add(async () => cgroup.remove());
      return cgroup;
    },
    report: () =>
      Object.fromEntries(
        [...cgroups].map(([name, cgroup]) => [name, { peakMiB: Math.round(cgroup.peakBytes() / 2 ** 20), limitHits: cgroup.limitHits() }]),
      ),
  };
}
