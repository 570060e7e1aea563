/**
 * A Dockerfile reader for static checks (no Docker engine here): instructions with their line
 * continuations joined and comments dropped, grouped into build stages; RUN, ENV, COPY and
 * HEALTHCHECK arguments read into their parts (RUN's shell commands through ./shell), so checks
 * assert on what the file means rather than on its wording.
 */
import { parse as parseWords } from 'shell-quote';
import { parseScript, type Command } from './shell';

export interface Instruction {
  /** Upper-case keyword, e.g. `RUN`. */
  keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

export interface Stage {
  /** `FROM <image> AS <name>`: the name, if any. */
  name?: string;
  /** The image, with `${ARG}`s replaced by their global defaults. */
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** `ARG`s before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Splits a Dockerfile into instructions (`\` continuations joined, comment lines skipped). */
export function readInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let pending: { parts: string[]; line: number } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comment lines are dropped, inside a continuation too; so are blank lines (Docker skips an
    // empty continuation line rather than ending the instruction there).
    if (trimmed.startsWith('#') || trimmed === '') return;
    const continues = trimmed.endsWith('\\');
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed;
    if (!pending) pending = { parts: [], line: index + 1 };
    if (part) pending.parts.push(part);
    if (!continues) {
      const joined = pending.parts.join(' ');
      const match = /^(\S+)\s*(.*)$/s.exec(joined);
      if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.line });
      pending = undefined;
    }
  });
  if (pending) throw new Error(`line ${pending.line}: a continuation never ends`);
  return instructions;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      const image = match[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => globalArgs[name] ?? `\${${name}}`);
      stages.push({ name: match[2], image, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value] = instruction.args.split('=');
      globalArgs[name!.trim()] = (value ?? '').trim();
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD arguments, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(trimmed);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

/** `COPY [--from=x] [--chown=…] src… dest` (or `COPY [--from=x] ["src", …, "dest"]`) → its flags, sources and destination. */
export function copyArguments(args: string): { from?: string; sources: string[]; destination: string } {
  const words = args.trim().split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const json = /^(?:--\S+\s+)*(\[.*\])$/s.exec(args.trim());
  const paths = json ? execForm(json[1]!)! : words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  if (paths.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/**
 * `ENV NAME=value NAME2="quoted value"` (or the legacy `ENV NAME value`) → the variables it sets.
 * Docker reads the values with shell-like quoting; `$NAME` references are kept as written.
 */
export function environment(args: string): Record<string, string> {
  const words = parseWords(args, (name) => `$${name}`).map((entry) => {
    if (typeof entry !== 'string') throw new Error(`ENV cannot hold a shell operator: ${args}`);
    return entry;
  });
  if (words.length === 0) throw new Error('ENV without a variable');
  if (!words[0]!.includes('=')) return { [words[0]!]: words.slice(1).join(' ') };
  return Object.fromEntries(
    words.map((word) => {
      const equals = word.indexOf('=');
      if (equals <= 0) throw new Error(`ENV ${args}: ${word} is not NAME=value`);
      return [word.slice(0, equals), word.slice(equals + 1)];
    }),
  );
}

/** Every variable the stage's ENV instructions set, later ones winning. */
export function stageEnvironment(stage: Stage): Record<string, string> {
  return Object.assign(
    {},
    ...stage.instructions.filter((instruction) => instruction.keyword === 'ENV').map((instruction) => environment(instruction.args)),
  );
}

/**
 * `HEALTHCHECK [--option=value …] CMD <command>` → its options and the command Docker runs (the
 * exec form as it is; the shell form as `/bin/sh -c <command>`, as Docker runs it); `NONE` → undefined.
 */
export function healthcheck(args: string): { options: Record<string, string>; command: string[] } | undefined {
  let rest = args.trim();
  const options: Record<string, string> = {};
  for (;;) {
    const option = /^--([a-z-]+)=(\S+)\s+/.exec(rest);
    if (!option) break;
    options[option[1]!] = option[2]!;
    rest = rest.slice(option[0].length);
  }
  const [, keyword, shell] = /^(\S+)\s*(.*)$/s.exec(rest) ?? [];
  if (keyword?.toUpperCase() === 'NONE') return undefined;
  if (keyword?.toUpperCase() !== 'CMD' || !shell) throw new Error(`HEALTHCHECK ${args}: expected [options] CMD <command> or NONE`);
  return { options, command: execForm(shell) ?? ['/bin/sh', '-c', shell] };
}

/** The commands a RUN instruction runs: its exec form as one command, or its shell script's commands. */
export function runCommands(args: string): Command[] {
  // Build-time flags (--mount=…, --network=…) come before the command.
  const command = args.trim().replace(/^(?:--[a-z-]+=\S+\s+)*/, '');
  const exec = execForm(command);
  return exec ? [{ argv: exec, assignments: {}, redirects: [], substituted: false }] : parseScript(command);
}
