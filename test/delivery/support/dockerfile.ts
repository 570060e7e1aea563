/**
 * A Dockerfile reader for static checks (no Docker engine here): instructions with their line
 * continuations joined and comments dropped, grouped into build stages.
 */
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
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
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

/** `COPY [--from=x] [--chown=…] src… dest` → its flags, sources and destination. */
export function copyArguments(args: string): { from?: string; sources: string[]; destination: string } {
  const words = args.trim().split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  if (paths.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}
