import { spawn } from 'node:child_process';
import path from 'node:path';

export interface ProcessResult {
  /** Exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** PATH with the Node running jest first, so children run under the same Node; HOME kept. */
export function minimalEnv(): Record<string, string> {
  return { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp' };
}

/**
 * Runs a command to completion with exactly `env` (nothing inherited: CI's DATABASE_URL and the
 * like must not leak into a check) and captures its output; a non-zero exit is a result, not an
 * error. `timeoutMs` kills a child that hangs (SIGKILL), so a check can never stall the suite.
 */
export function runIsolated(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number; input?: string },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
