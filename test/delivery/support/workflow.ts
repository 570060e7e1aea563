/**
 * The GitHub workflow's `run:` steps, which cannot run here for real (no GitHub runner, no
 * network): read into commands (./shell), or run by bash as GitHub runs them (`bash -e`), with
 * the programs that would reach the outside replaced by recording stand-ins. Either way the
 * checks see what runs, whatever the step's wording.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { minimalEnv, runIsolated } from './process';
import { parseScript, type Command } from './shell';

export interface WorkflowStep {
  name?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}

export interface Workflow {
  on: unknown;
  env?: Record<string, string>;
  jobs: Record<
    string,
    {
      services?: Record<string, { image: string }>;
      env?: Record<string, string>;
      steps: WorkflowStep[];
    }
  >;
}

/**
 * The step's script with each `${{ expression }}` replaced (GitHub does that before the shell
 * runs): by `values[expression]`, or, with no values given, by a placeholder word.
 */
export function substituteExpressions(run: string, values?: Record<string, string>): string {
  return run.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    if (!values) return 'GITHUB_EXPRESSION';
    const value = values[expression];
    if (value === undefined) throw new Error(`no value given for the expression \${{ ${expression} }}`);
    return value;
  });
}

/** Every run step of the workflow with its commands. */
export function runSteps(workflow: Workflow): Array<{ job: string; step: WorkflowStep; commands: Command[] }> {
  return Object.entries(workflow.jobs).flatMap(([job, definition]) =>
    definition.steps
      .filter((step) => step.run !== undefined)
      .map((step) => ({ job, step, commands: parseScript(substituteExpressions(step.run!)) })),
  );
}

export interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** argv of each call of a stand-in program, in order (argv[0] the program's name). */
  calls: string[][];
  /** The run's HOME and temp folder (removed by `cleanup`). */
  dir: string;
  cleanup(): void;
}

/**
 * Runs a step's script with `bash -e` (GitHub's default shell on Linux) in `cwd`. Each program in
 * `stubs` is replaced by a Node script that records its argv and then runs the given JavaScript
 * body (nothing: exit 0). `env` adds variables; HOME and GITHUB_PATH point into a fresh folder.
 */
export async function runStep(
  run: string,
  options: { cwd: string; stubs: Record<string, string>; env?: Record<string, string>; github: Record<string, string> },
): Promise<StepRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-step-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const callsFile = path.join(dir, 'calls.jsonl');
  writeFileSync(callsFile, '');
  for (const [program, body] of Object.entries(options.stubs)) {
    const file = path.join(bin, program);
    writeFileSync(
      file,
      [
        '#!/usr/bin/env node',
        `require('node:fs').appendFileSync(process.env.FEDSHOP_STEP_CALLS, JSON.stringify([${JSON.stringify(program)}, ...process.argv.slice(2)]) + '\\n');`,
        body,
        '',
      ].join('\n'),
    );
    chmodSync(file, 0o755);
  }
  const script = path.join(dir, 'step.sh');
  writeFileSync(script, substituteExpressions(run, options.github));
  const base = minimalEnv();
  const result = await runIsolated('bash', ['-e', script], {
    cwd: options.cwd,
    env: {
      ...base,
      PATH: `${bin}${path.delimiter}${base.PATH}`,
      HOME: dir,
      GITHUB_PATH: path.join(dir, 'github_path'),
      FEDSHOP_STEP_CALLS: callsFile,
      ...options.env,
    },
  });
  const calls = readFileSync(callsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
  return { ...result, calls, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
