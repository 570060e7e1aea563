import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ProcessResult {
  /** Exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and captures its output; never throws on a non-zero exit (the
 * exit code is what contract tests assert on). The Node running jest comes first on PATH, so
 * `node` in child processes and `#!/usr/bin/env node` scripts run under the same version.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    // A child that exits before reading its input surfaces as its exit code, not as EPIPE here.
    child.stdin.on('error', () => undefined);
    // Without input the child sees an immediately closed stdin, as with `< /dev/null`.
    child.stdin.end(options.input);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh temp folder and its removal (call `remove` in afterAll/finally). */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `fedshop-contract-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
