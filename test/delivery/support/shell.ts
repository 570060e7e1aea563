/**
 * Shell scripts (Dockerfile RUN lines, CI steps, `make -n` output) as commands and their argv, so
 * the delivery checks assert on what runs, not on how the text is laid out: quoting, spacing, line
 * continuations, comments and flag order do not change the result.
 *
 * Words come from shell-quote's parser. What it does not do is done here, and only that: splitting
 * a script into lines (it reads a newline as a space), dropping comments and `\`-newlines,
 * extracting command substitutions (`$(…)`, backticks) whose commands run too, and stripping the
 * compound-command keywords (`if … then`, `for … do`) around simple commands.
 */
import path from 'node:path';
import { parse as parseWords, type ParseEntry } from 'shell-quote';

/** What joins a command to the next one. */
export type Connector = '&&' | '||' | ';' | '|' | '|&' | '&' | 'newline';

export interface Redirect {
  /** `>`, `>>`, `<`, `>&`, … (the file descriptor, if written, is in `fd`). */
  op: string;
  fd?: string;
  target: string;
}

export interface Command {
  /** The words with quotes removed; `$NAME` and `$(command)` kept (not expanded). */
  argv: string[];
  /** `NAME=value` words before the command. */
  assignments: Record<string, string>;
  redirects: Redirect[];
  /** The operator after this command, if any. */
  connector?: Connector;
  /** Inside a command substitution (its output becomes part of another command's word). */
  substituted: boolean;
}

const REDIRECT_OPS = new Set(['>', '>>', '<', '>&', '<&', '>|', '<>', '<(', '>(', '&>', '&>>']);
const CONNECTORS = new Set<string>(['&&', '||', ';', '|', '|&', '&', ';;']);
/** Keywords that may stand before a simple command in a compound command. */
const LEADING_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{']);
/** Keywords that close a compound command (a command of their own here, dropped). */
const CLOSING_KEYWORDS = new Set(['fi', 'done', 'esac', '}']);

const PLACEHOLDER = (index: number) => `__fedshop_substitution_${index}__`;
const PLACEHOLDER_PATTERN = /__fedshop_substitution_(\d+)__/g;

/** Index of the `)` closing a `$(` whose body starts at `start`, honouring quotes and nesting. */
function closingParen(script: string, start: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let index = start; index < script.length; index += 1) {
    const char = script[index]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
    } else if (char === '\\') {
      index += 1;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '$' && script[index + 1] === '(') {
        index = closingParen(script, index + 2);
      }
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '(') {
      depth += 1;
    } else if (char === ')') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  throw new Error(`unterminated $( in: ${script.slice(start - 2)}`);
}

/**
 * The script's logical lines (unquoted newlines end one; `\`-newline joins; comments dropped),
 * with each command substitution replaced by a placeholder and its body returned separately.
 */
function logicalLines(script: string): { lines: string[]; substitutions: string[] } {
  const lines: string[] = [];
  const substitutions: string[] = [];
  let current = '';
  let quote: string | undefined;
  const substitute = (body: string) => {
    substitutions.push(body);
    return PLACEHOLDER(substitutions.length - 1);
  };
  for (let index = 0; index < script.length; index += 1) {
    const char = script[index]!;
    const next = script[index + 1];
    if (quote === "'") {
      current += char;
      if (char === "'") quote = undefined;
      continue;
    }
    if (char === '\\') {
      if (next === '\n') {
        index += 1; // a line continuation: nothing at all
        continue;
      }
      current += char + (next ?? '');
      index += 1;
      continue;
    }
    if (char === '$' && next === '(' && script[index + 2] !== '(') {
      const end = closingParen(script, index + 2);
      current += substitute(script.slice(index + 2, end));
      index = end;
      continue;
    }
    if (char === '`') {
      const end = script.indexOf('`', index + 1);
      if (end < 0) throw new Error('unterminated backtick substitution');
      current += substitute(script.slice(index + 1, end));
      index = end;
      continue;
    }
    if (quote === '"') {
      current += char;
      if (char === '"') quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      current += char;
      continue;
    }
    if (char === '#' && (current === '' || /[\s;&|()]/.test(current.at(-1)!))) {
      while (index + 1 < script.length && script[index + 1] !== '\n') index += 1;
      continue;
    }
    if (char === '<' && next === '<' && script[index + 2] !== '<') {
      throw new Error('here-documents are not supported by this reader; extend test/delivery/support/shell.ts');
    }
    if (char === '\n') {
      lines.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  lines.push(current);
  return { lines: lines.filter((line) => line.trim() !== ''), substitutions };
}

function finish(command: Command, into: Command[]): void {
  while (command.argv.length > 0 && LEADING_KEYWORDS.has(command.argv[0]!)) command.argv.shift();
  if (command.argv.length === 0 && Object.keys(command.assignments).length === 0 && command.redirects.length === 0) return;
  if (command.argv.length === 1 && CLOSING_KEYWORDS.has(command.argv[0]!)) return;
  // `for NAME in WORDS`: a loop header, not a command (its substitutions are read separately).
  if (command.argv[0] === 'for' || command.argv[0] === 'select') return;
  if (command.argv[0] === 'case') throw new Error('case statements are not supported by this reader');
  into.push(command);
}

/** The words of one logical line, split into simple commands. */
function commandsOfLine(line: string, render: (word: string) => string, substituted: boolean): Command[] {
  const entries: ParseEntry[] = parseWords(line, (name) => `$${name}`);
  const commands: Command[] = [];
  let command: Command = { argv: [], assignments: {}, redirects: [], substituted };
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index]!;
    if (typeof entry === 'string') {
      const word = render(entry);
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
      if (command.argv.length === 0 && assignment) command.assignments[assignment[1]!] = assignment[2]!;
      else command.argv.push(word);
      continue;
    }
    if ('comment' in entry) continue;
    if (entry.op === 'glob') {
      command.argv.push(render(entry.pattern));
      continue;
    }
    if (REDIRECT_OPS.has(entry.op)) {
      const target = entries[index + 1];
      if (typeof target !== 'string') throw new Error(`a redirection without a target in: ${line}`);
      // shell-quote gives `2>x` as the word "2" then `>`: a lone number before it is the descriptor.
      const fd = /^\d+$/.test(command.argv.at(-1) ?? '') ? command.argv.pop() : undefined;
      command.redirects.push({ op: entry.op, ...(fd ? { fd } : {}), target: render(target) });
      index += 1;
      continue;
    }
    if (CONNECTORS.has(entry.op) || entry.op === '(' || entry.op === ')') {
      const connector = entry.op === ';;' || entry.op === '(' || entry.op === ')' ? ';' : (entry.op as Connector);
      command.connector = connector;
      finish(command, commands);
      command = { argv: [], assignments: {}, redirects: [], substituted };
      continue;
    }
    throw new Error(`unexpected shell operator ${entry.op} in: ${line}`);
  }
  command.connector = 'newline';
  finish(command, commands);
  return commands;
}

function parse(script: string, substituted: boolean): Command[] {
  const { lines, substitutions } = logicalLines(script);
  const inner = substitutions.map((body) => parse(body, true));
  // A substitution stays in its word as `$(argv …)`, rendered from its parsed commands.
  const render = (word: string) =>
    word.replace(
      PLACEHOLDER_PATTERN,
      (_, index: string) => `$(${inner[Number(index)]!.map((command) => command.argv.join(' ')).join('; ')})`,
    );
  return [...lines.flatMap((line) => commandsOfLine(line, render, substituted)), ...inner.flat()];
}

/** Every simple command in `script`, those inside command substitutions included (after the others). */
export function parseScript(script: string): Command[] {
  return parse(script, false);
}

/** How a program reads its options. */
export interface Grammar {
  /** Options that take a value (`-f FILE`, `--file FILE`, `--file=FILE`). */
  valueOptions?: string[];
  /** `-abc` means `-a -b -c` (and `-ofile` means `-o file` when `-o` takes a value). */
  clusteredShortOptions?: boolean;
  /** After this many operands, everything else is the operand's own arguments (`docker run IMAGE ARGS…`). */
  operandsBeforeRest?: number;
  /** Long spellings of the same option (`--yes` is `-y`): options are recorded under the value's name. */
  aliases?: Record<string, string>;
}

/** The grammars of the programs these files run (only what is needed to read them). */
const GRAMMARS: Record<string, Grammar> = {
  npm: { valueOptions: ['-w', '--workspace', '--omit', '--include', '--prefix'], aliases: { '--workspace': '-w' } },
  npx: { valueOptions: ['-p', '--package'] },
  curl: {
    clusteredShortOptions: true,
    valueOptions: ['-o', '-H', '-X', '-d', '-u', '-w'],
    aliases: {
      '--silent': '-s',
      '--show-error': '-S',
      '--location': '-L',
      '--fail': '-f',
      '--output': '-o',
      '--header': '-H',
      '--request': '-X',
      '--data': '-d',
      '--user': '-u',
      '--write-out': '-w',
    },
  },
  wget: {
    clusteredShortOptions: true,
    valueOptions: ['-O', '--output-document', '-o', '--output-file', '-T', '--timeout', '-t', '--tries', '--header'],
  },
  'apt-get': {
    clusteredShortOptions: true,
    valueOptions: ['-o', '-t', '-c'],
    aliases: { '--yes': '-y', '--assume-yes': '-y', '--quiet': '-q' },
  },
  diff: { clusteredShortOptions: true, valueOptions: ['-U', '--unified', '-C', '--context', '--label'] },
  docker: {
    clusteredShortOptions: true,
    valueOptions: [
      '-f',
      '--file',
      '-t',
      '--tag',
      '--build-arg',
      '--target',
      '--platform',
      '--name',
      '-p',
      '--publish',
      '-e',
      '--env',
      '-v',
      '--volume',
      '--network',
      '-m',
      '--memory',
      '--project-name',
      '--profile',
    ],
  },
  buf: { valueOptions: ['--against', '--config', '--error-format', '--path', '--exclude-path', '--template', '-o', '--output'] },
  rover: { valueOptions: ['--config', '--output', '-o', '--profile', '--format'] },
  node: { valueOptions: ['-e', '--eval', '-p', '--print', '-r', '--require', '--import'] },
  make: { valueOptions: ['-f', '--file', '-C', '--directory', '-j', '--jobs'] },
  sudo: {},
};

/** Programs that run another command: `sudo apt-get …`, `npx buf …`. */
const WRAPPERS = new Set(['sudo', 'npx', 'exec', 'env']);

export interface Invocation {
  /** Wrappers before the program, in order (`sudo`, `npx`). */
  wrappers: string[];
  /** The program, a path normalised (`./scripts/x.sh` is `scripts/x.sh`). */
  program: string;
  /** Operands (subcommands first), in order. */
  operands: string[];
  /** Each option with its values (`true` for a flag), `--name=value` and `--name value` alike. */
  options: Map<string, Array<string | true>>;
  /** Words after `--`, or after the operand that takes the rest (`docker run IMAGE …`). */
  rest: string[];
}

function programName(word: string): string {
  return word.includes('/') ? path.posix.normalize(word) : word;
}

/** Reads argv with the program's grammar (GRAMMARS, or `grammar`). */
export function invocation(argv: string[], grammar?: Grammar): Invocation {
  const wrappers: string[] = [];
  const words = [...argv];
  // A wrapper's own options come before the wrapped program (npx --yes buf …).
  while (words.length > 0 && WRAPPERS.has(words[0]!)) {
    const wrapper = words.shift()!;
    wrappers.push(wrapper);
    const options = GRAMMARS[wrapper]?.valueOptions ?? [];
    while (words.length > 0 && (words[0]!.startsWith('-') || (wrapper === 'env' && words[0]!.includes('=')))) {
      const option = words.shift()!;
      if (options.includes(option)) words.shift();
    }
  }
  const program = programName(words.shift() ?? '');
  const rules = grammar ?? GRAMMARS[path.posix.basename(program)] ?? {};
  const valueOptions = new Set(rules.valueOptions ?? []);
  const options = new Map<string, Array<string | true>>();
  const aliases = rules.aliases ?? {};
  const add = (written: string, value: string | true) => {
    const name = aliases[written] ?? written;
    options.set(name, [...(options.get(name) ?? []), value]);
  };
  const takesValue = (written: string) => valueOptions.has(written) || valueOptions.has(aliases[written] ?? written);
  const operands: string[] = [];
  const rest: string[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    if (rules.operandsBeforeRest !== undefined && operands.length >= rules.operandsBeforeRest) {
      rest.push(...words.slice(index));
      break;
    }
    if (word === '--') {
      rest.push(...words.slice(index + 1));
      break;
    }
    if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      if (equals > 0) add(word.slice(0, equals), word.slice(equals + 1));
      else if (takesValue(word)) add(word, words[++index] ?? '');
      else add(word, true);
    } else if (word.startsWith('-') && word.length > 1) {
      if (!rules.clusteredShortOptions) {
        if (takesValue(word)) add(word, words[++index] ?? '');
        else add(word, true);
        continue;
      }
      for (let at = 1; at < word.length; at += 1) {
        const option = `-${word[at]}`;
        if (valueOptions.has(option)) {
          add(option, at + 1 < word.length ? word.slice(at + 1) : (words[++index] ?? ''));
          break;
        }
        add(option, true);
      }
    } else {
      operands.push(word);
    }
  }
  return { wrappers, program, operands, options, rest };
}

/**
 * Whether `argv` runs the command `expected` (a command line, read the same way): the same
 * wrappers, program and operands in order, at least the expected options with the same values
 * (in any order, others allowed), and the same words after `--`.
 */
export function runsCommand(argv: string[], expected: string, grammar?: Grammar): boolean {
  const [wanted, ...others] = parseScript(expected);
  if (!wanted || others.length > 0) throw new Error(`not one command: ${expected}`);
  const actual = invocation(argv, grammar);
  const target = invocation(wanted.argv, grammar);
  const same = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((item, index) => item === b[index]);
  return (
    same(actual.wrappers, target.wrappers) &&
    actual.program === target.program &&
    same(actual.operands, target.operands) &&
    same(actual.rest, target.rest) &&
    [...target.options].every(([name, values]) => {
      const present = actual.options.get(name) ?? [];
      return values.every((value) => present.includes(value));
    })
  );
}

/** The commands of `commands` that run `expected` (see runsCommand). */
export function commandsRunning(commands: Command[], expected: string, grammar?: Grammar): Command[] {
  return commands.filter((command) => runsCommand(command.argv, expected, grammar));
}

/** The argv of every command, for a failure message that shows what was found instead. */
export function describeCommands(commands: Command[]): string[] {
  return commands.map((command) => command.argv.join(' '));
}

/** The commands of `expected` that nothing in `commands` runs (see runsCommand): [] when all run. */
export function missingCommands(commands: Command[], expected: string[], grammar?: Grammar): string[] {
  return expected.filter((wanted) => commandsRunning(commands, wanted, grammar).length === 0);
}
