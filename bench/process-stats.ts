import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

/** A `kB` field of /proc/<pid>/status, in bytes. */
function statusBytes(pid: number, field: string): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resident memory of a process now, MiB (null where /proc is not there). */
export function residentMiB(pid: number): number | null {
  const bytes = statusBytes(pid, 'VmRSS');
  return bytes === null ? null : bytes / 2 ** 20;
}

/** user + system CPU of a process so far, ms (null where /proc is not there). */
export function cpuTimeMs(pid: number): number | null {
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the whole line (utime, stime) are the 12th and 13th after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * Watches the peak resident memory of processes over a window. The peak is the kernel's
 * high-water mark (VmHWM), reset at the start through /proc/<pid>/clear_refs, so spikes
 * between samples count; where the reset is refused, the highest VmRSS sampled every 100 ms
 * stands in. MiB, null where /proc is not there.
 */
export function watchPeakMemory(pids: Record<string, number>): { stop(): Record<string, number | null> } {
  const entries = Object.entries(pids);
  const resetOk = new Map<string, boolean>();
  const sampledPeak = new Map<string, number>();
  for (const [name, pid] of entries) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      resetOk.set(name, true);
    } catch {
      resetOk.set(name, false);
    }
  }
  const sample = () => {
    for (const [name, pid] of entries) {
      const rss = statusBytes(pid, 'VmRSS');
      if (rss !== null) sampledPeak.set(name, Math.max(sampledPeak.get(name) ?? 0, rss));
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return Object.fromEntries(
        entries.map(([name, pid]) => {
          const peak = Math.max((resetOk.get(name) ? statusBytes(pid, 'VmHWM') : null) ?? 0, sampledPeak.get(name) ?? 0);
          return [name, peak > 0 ? Math.round((peak / 1_048_576) * 10) / 10 : null];
        }),
      );
    },
  };
}

/**
 * CPU time the whole machine spent busy (from /proc/stat: user, nice, system, irq, softirq,
 * steal) and the part of it spent by this process and its descendants (the services,
 * PostgreSQL, the load generator), ms. Their difference over a window is what everything else
 * on the machine used (other people's tests): the noise in that window. Null where /proc is
 * not there. Processes that end inside the window take their CPU time with them, so the
 * difference is an upper bound.
 */
export function machineCpuMs(root = process.pid): { busyMs: number; ownMs: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    const parents = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parents.set(Number(entry), Number(after[1]));
        cpu.set(Number(entry), ((Number(after[11]) + Number(after[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
      } catch {
        // gone meanwhile
      }
    }
    const own = (pid: number): boolean => {
      for (let current: number | undefined = pid; current !== undefined && current > 1; current = parents.get(current)) {
        if (current === root) return true;
      }
      return false;
    };
    let ownMs = 0;
    for (const [pid, ms] of cpu) if (own(pid)) ownMs += ms;
    return { busyMs: ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_SECOND, ownMs };
  } catch {
    return null;
  }
}
