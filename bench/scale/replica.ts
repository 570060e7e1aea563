import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');

export type ScaledService = 'gateway' | 'users' | 'orders';

/** What the images run: each service's compiled entry point (`npm run build`). */
const COMPILED_ENTRY: Record<ScaledService, string> = {
  gateway: 'gateway/dist/main.js',
  users: 'subgraphs/users/dist/main.js',
  orders: 'subgraphs/orders/dist/main.js',
};

export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One replica of a service: `node dist/main.js` as its own process, as a pod runs it, its
 * output appended to a log file (so logging costs what it costs in production and a long run
 * holds nothing in memory).
 */
export class Replica {
  private child: ChildProcess | undefined;
  private exited: Promise<ReplicaExit> | undefined;

  constructor(
    readonly service: ScaledService,
    /** `gateway-0`, … (also the HAProxy server name of its slot). */
    readonly name: string,
    readonly httpPort: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once its own `/readyz` answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    const entry = path.join(REPO_ROOT, COMPILED_ENTRY[this.service]);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\``);
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [entry], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited during start:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  /** Sends `signal` and resolves with how the process ended (at once if it is not running). */
  async stop(signal: NodeJS.Signals): Promise<ReplicaExit> {
    if (!this.running) return (await this.exited) ?? { code: null, signal: null };
    this.child!.kill(signal);
    return this.exited!;
  }

  /** The end of the replica's log (for failure messages). */
  tail(bytes = 4_000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-bytes);
    } catch {
      return '';
    }
  }

  /** How many of its log lines match `pattern`. */
  countLines(pattern: RegExp): number {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((line) => pattern.test(line)).length;
    } catch {
      return 0;
    }
  }

  /** Its JSON log lines at `error` or `fatal` level. */
  errorLines(): Record<string, unknown>[] {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          return parsed.level === 'error' || parsed.level === 'fatal' ? [parsed] : [];
        } catch {
          return [];
        }
      });
  }
}
