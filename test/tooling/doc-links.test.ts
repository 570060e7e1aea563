/**
 * The documentation's relative links lead somewhere: every `[text](path)` in README.md,
 * BENCHMARKS.md and the Markdown under docs/, deploy/ and clients/web/ names a file or folder that
 * exists, and a `#anchor` into a Markdown file names one of its headings (GitHub's slugs).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');

function markdownFiles(): string[] {
  const files = ['README.md', 'BENCHMARKS.md', 'deploy/README.md', 'clients/web/README.md'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.md')) files.push(relative);
    }
  };
  walk('docs');
  return files;
}

/** Markdown outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's heading anchors: lower-case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdown.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

interface Link {
  file: string;
  target: string;
}

function relativeLinks(file: string): Link[] {
  const text = prose(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  const links: Link[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    links.push({ file, target });
  }
  return links;
}

/** Why a link does not resolve, or null when it does. */
function problemWith(link: Link): string | null {
  const [pathPart, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const resolved =
    pathPart === '' ? path.join(REPO_ROOT, link.file) : path.resolve(path.dirname(path.join(REPO_ROOT, link.file)), pathPart);
  if (!resolved.startsWith(REPO_ROOT)) return `${link.file}: ${link.target} leaves the repository`;
  if (!existsSync(resolved)) return `${link.file}: ${link.target} does not exist`;
  if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md')) {
    if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor))
      return `${link.file}: ${link.target} names no heading of ${path.relative(REPO_ROOT, resolved)}`;
  }
  return null;
}

describe('relative links in the documentation', () => {
  const files = markdownFiles();

  test('when the documentation is read, then there are pages and links to check', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/adr/README.md']));
    expect(files.flatMap(relativeLinks).length).toBeGreaterThan(50);
  });

  test.each(files)('when %s links to a file, folder or heading of the repository, then it exists', (file) => {
    const problems = relativeLinks(file)
      .map(problemWith)
      .filter((problem) => problem !== null);
    expect(problems).toEqual([]);
  });
});

describe('the link checker', () => {
  test('when a link names a missing file or heading, then it reports it', () => {
    expect(problemWith({ file: 'README.md', target: 'docs/no-such-page.md' })).toBe('README.md: docs/no-such-page.md does not exist');
    expect(problemWith({ file: 'README.md', target: 'docs/operations.md#no-such-heading' })).toBe(
      'README.md: docs/operations.md#no-such-heading names no heading of docs/operations.md',
    );
    expect(problemWith({ file: 'docs/security.md', target: '../../outside.md' })).toBe(
      'docs/security.md: ../../outside.md leaves the repository',
    );
  });

  test("when headings hold code, punctuation or repeat, then the anchors are GitHub's", () => {
    expect([...headingAnchors('## Checks in `npm test`\n## Events: orders → loyalty\n# A\n# A\n```\n# not a heading\n```')]).toEqual([
      'checks-in-npm-test',
      'events-orders--loyalty',
      'a',
      'a-1',
    ]);
  });
});
