/**
 * The base that contract changes are judged against, and the GraphQL breaking-change check.
 *
 * Base: `FEDSHOP_BASE_REF` when set (CI sets it to the pull request's base, e.g. origin/main),
 * else the local branch `main`, else `origin/main`: "the last commit of main". On main itself
 * that is HEAD, so the checks then judge the uncommitted changes.
 *
 * GraphQL: each subgraph's schema.graphql is compared with its version at the base using
 * @graphql-inspector/core; a change it rates BREAKING fails unless it is listed, as
 * `<subgraph>: <message>`, in graphql-breaking-changes.allow at the repo root (see that file).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { diff } from '@graphql-inspector/core';
import { buildASTSchema, parse, type GraphQLSchema } from 'graphql';

export const BASE_REF_VARIABLE = 'FEDSHOP_BASE_REF';
export const ALLOW_FILE = 'graphql-breaking-changes.allow';

export interface BaseRef {
  /** As named (e.g. `main`). */
  ref: string;
  /** The commit it points at. */
  sha: string;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The base commit, or undefined when `root` is not a git checkout or no candidate exists. */
export function resolveBaseRef(root: string, env: Record<string, string | undefined> = process.env): BaseRef | undefined {
  const candidates = env[BASE_REF_VARIABLE] ? [env[BASE_REF_VARIABLE]] : ['main', 'origin/main'];
  for (const ref of candidates) {
    const sha = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (sha) return { ref, sha };
  }
  return undefined;
}

/** A file's content at a commit, or undefined when it did not exist there. */
export function fileAtCommit(root: string, sha: string, file: string): string | undefined {
  return git(root, ['show', `${sha}:${file}`]);
}

function subgraphSchema(sdl: string): GraphQLSchema {
  // Federation directives (@key, @link …) are declared by the federation spec, not in the file.
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}

/** Messages of the changes @graphql-inspector/core rates BREAKING, from `before` to `after`. */
export async function breakingChanges(before: string, after: string): Promise<string[]> {
  const changes = await diff(subgraphSchema(before), subgraphSchema(after));
  return changes.filter((change) => change.criticality.level === 'BREAKING').map((change) => change.message);
}

/** The allow file's entries (`<subgraph>: <message>`); `#` comments and blank lines ignored. */
export function readAllowedBreakingChanges(root: string): Set<string> {
  const file = path.join(root, ALLOW_FILE);
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/**
 * Breaking changes of one subgraph that are not marked intended, as `<subgraph>: <message>`.
 * A schema that did not exist at the base has nothing to break.
 */
export async function unapprovedBreakingChanges(
  subgraph: string,
  before: string | undefined,
  after: string,
  allowed: Set<string>,
): Promise<string[]> {
  if (before === undefined) return [];
  return (await breakingChanges(before, after)).map((message) => `${subgraph}: ${message}`).filter((entry) => !allowed.has(entry));
}
