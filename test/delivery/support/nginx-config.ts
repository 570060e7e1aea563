/**
 * nginx configuration as directives (name, arguments, block), read with nginx's own lexical rules
 * (ngx_conf_read_token: `#` comments, '…' and "…" quoting with \" \' \\ \n \t \r escapes, `;`
 * ending a directive, `{ … }` blocks, `${var}` inside a word), and printed back. Checks read the
 * structure; the behaviour tests print an adapted copy for a real nginx to run.
 */
export interface Directive {
  name: string;
  args: string[];
  /** The `{ … }` block, for block directives (http, server, location, …). */
  block?: Directive[];
}

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', t: '\t', r: '\r', n: '\n' };

type Token = { kind: 'word'; value: string } | { kind: ';' | '{' | '}' };

function tokens(text: string): Token[] {
  const found: Token[] = [];
  let index = 0;
  const readEscape = (): string => {
    const next = text[index + 1];
    index += 2;
    return next !== undefined && next in ESCAPES ? ESCAPES[next]! : `\\${next ?? ''}`;
  };
  while (index < text.length) {
    const char = text[index]!;
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '#') {
      while (index < text.length && text[index] !== '\n') index += 1;
    } else if (char === ';' || char === '{' || char === '}') {
      found.push({ kind: char });
      index += 1;
    } else if (char === '"' || char === "'") {
      let value = '';
      index += 1;
      while (index < text.length && text[index] !== char) {
        if (text[index] === '\\') value += readEscape();
        else value += text[index++];
      }
      if (index >= text.length) throw new Error(`nginx config: unterminated ${char} quote`);
      index += 1;
      found.push({ kind: 'word', value });
    } else {
      let value = '';
      while (index < text.length && !/[\s;{}]/.test(text[index]!)) {
        if (text[index] === '\\') {
          value += readEscape();
        } else if (text[index] === '$' && text[index + 1] === '{') {
          const end = text.indexOf('}', index);
          if (end < 0) throw new Error('nginx config: unterminated ${');
          value += text.slice(index, end + 1);
          index = end + 1;
        } else {
          value += text[index++];
        }
      }
      found.push({ kind: 'word', value });
    }
  }
  return found;
}

/** The directives of an nginx configuration file. */
export function parseNginxConfig(text: string): Directive[] {
  const stack: Directive[][] = [[]];
  let words: string[] = [];
  for (const token of tokens(text)) {
    if (token.kind === 'word') {
      words.push(token.value);
      continue;
    }
    if (token.kind === '}') {
      if (words.length > 0) throw new Error(`nginx config: "${words.join(' ')}" is not terminated by ";"`);
      if (stack.length === 1) throw new Error('nginx config: unexpected "}"');
      stack.pop();
      continue;
    }
    const [name, ...args] = words;
    if (name === undefined) throw new Error(`nginx config: unexpected "${token.kind}"`);
    const directive: Directive = { name, args };
    stack.at(-1)!.push(directive);
    if (token.kind === '{') {
      directive.block = [];
      stack.push(directive.block);
    }
    words = [];
  }
  if (words.length > 0 || stack.length > 1) throw new Error('nginx config: unexpected end of file');
  return stack[0]!;
}

function printArgument(arg: string): string {
  if (arg !== '' && /^[^\s;{}#'"\\]+$/.test(arg)) return arg;
  return `"${arg.replace(/[\\"\n\t\r]/g, (char) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[char]!)}"`;
}

/** The directives as an nginx configuration file (reads back to the same directives). */
export function printNginxConfig(directives: Directive[], indent = ''): string {
  return directives
    .map((directive) => {
      const head = [directive.name, ...directive.args].map(printArgument).join(' ');
      if (!directive.block) return `${indent}${head};\n`;
      return `${indent}${head} {\n${printNginxConfig(directive.block, `${indent}  `)}${indent}}\n`;
    })
    .join('');
}

/** The directives named `name` directly in `directives`. */
export function directives(within: Directive[] | undefined, name: string): Directive[] {
  return (within ?? []).filter((directive) => directive.name === name);
}

/** The one directive named `name` directly in `within` (an error if there is none or several). */
export function directive(within: Directive[] | undefined, name: string): Directive {
  const found = directives(within, name);
  if (found.length !== 1) throw new Error(`nginx config: expected one ${name}, found ${found.length}`);
  return found[0]!;
}

/** The `location` block whose arguments are `args` (e.g. ['=', '/healthz'] or ['/']). */
export function location(server: Directive, ...args: string[]): Directive {
  const found = directives(server.block, 'location').filter((candidate) => candidate.args.join(' ') === args.join(' '));
  if (found.length !== 1) throw new Error(`nginx config: expected one location ${args.join(' ')}, found ${found.length}`);
  return found[0]!;
}

/** Every directive, nested ones included, depth first. */
export function allDirectives(within: Directive[]): Directive[] {
  return within.flatMap((entry) => [entry, ...allDirectives(entry.block ?? [])]);
}

/** A copy with `change` applied to every directive (it returns the replacement). */
export function mapDirectives(within: Directive[], change: (directive: Directive) => Directive): Directive[] {
  return within.map((entry) => {
    const changed = change({ ...entry, args: [...entry.args] });
    return changed.block ? { ...changed, block: mapDirectives(changed.block, change) } : changed;
  });
}
