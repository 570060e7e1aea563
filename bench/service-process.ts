import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { MemoryCgroup } from './memory-cgroup';

const REPO_ROOT = path.resolve(__dirname, '..');

export interface ServiceProcessOptions {
  /** For messages: `users`, `gateway (ours)`, … */
  name: string;
  /** Compiled entry point relative to the repo root, run with plain `node` (`npm run bench` builds first). */
  entry: string;
  /** The process's whole environment besides PATH, HOME and TMPDIR (nothing else is inherited). */
  env: Record<string, string>;
  /** Node flags before the entry, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Runs the process inside this memory cgroup from its first instruction (`--memory-limit`). */
  cgroup?: MemoryCgroup;
  /** stdout and stderr go to this file (the services log one line per request: a file costs them what production logging would). */
  logFile: string;
  /** Resolves true once the process serves. */
  isReady: () => Promise<boolean>;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

export interface ServiceProcess {
  name: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs` (default 15 s); resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** GET `url` answers 2xx. */
export async function answersOk(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts one service of the benchmark as its own Node process (so its memory and CPU are its
 * own) and waits until it serves. Fails with the log file's name if it exits or times out first.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const log = openSync(options.logFile, 'a');
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
  );
  let child: ChildProcess;
  try {
    const [command, args] = options.cgroup
      ? options.cgroup.wrap(process.execPath, [...(options.nodeFlags ?? []), options.entry])
      : [process.execPath, [...(options.nodeFlags ?? []), options.entry]];
    child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...inherited, ...options.env },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = signal ?? `code ${code}`;
      resolve();
    }),
  );
  const stop = async (graceMs = 15_000) => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!(await options.isReady())) {
    if (exited !== null || Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`${options.name} did not start (${exited ?? 'timed out'}); see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { name: options.name, pid: child.pid!, stop };
}
