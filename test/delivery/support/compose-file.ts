/**
 * Reads docker-compose files the way `docker compose -f a.yml -f b.yml config` would, for the
 * parts the delivery checks need (no Docker engine or compose plugin runs on these machines):
 * YAML anchors and `<<` merge keys, `${VAR:-default}` interpolation, and the merge rules of the
 * Compose specification for override files, including the `!reset` and `!override` tags.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, YAMLMap, YAMLSeq, type CollectionTag } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const TAGGED = '__composeTag';

/** A `!reset` / `!override` mapping: toJS keeps it recognisable, anchors and merges resolved. */
function taggedMap(tag: string) {
  return class extends YAMLMap {
    override toJSON(key?: unknown, ctx?: Parameters<YAMLMap['toJSON']>[1]) {
      return { [TAGGED]: tag, value: super.toJSON(key, ctx) } as never;
    }
  };
}

/** The same for a sequence. */
function taggedSeq(tag: string) {
  return class extends YAMLSeq {
    override toJSON(key?: unknown, ctx?: Parameters<YAMLSeq['toJSON']>[1]) {
      return { [TAGGED]: tag, value: super.toJSON(key, ctx) } as never;
    }
  };
}

const COMPOSE_TAGS = [
  { tag: '!reset', collection: 'seq', nodeClass: taggedSeq('reset') },
  { tag: '!reset', collection: 'map', nodeClass: taggedMap('reset') },
  { tag: '!override', collection: 'seq', nodeClass: taggedSeq('override') },
  { tag: '!override', collection: 'map', nodeClass: taggedMap('override') },
] as unknown as CollectionTag[];

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tagOf(value: unknown): { tag: string; value: Json } | undefined {
  return isObject(value) && typeof value[TAGGED] === 'string' ? { tag: value[TAGGED] as string, value: value.value as Json } : undefined;
}

/** A compose file as plain data: anchors and merge keys resolved, compose tags kept as markers. */
export function readComposeFile(file: string): JsonObject {
  const document = parseDocument(readFileSync(file, 'utf8'), { merge: true, customTags: COMPOSE_TAGS, uniqueKeys: true });
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
  if (document.warnings.length > 0) throw new Error(`${file}: ${document.warnings.map((warning) => warning.message).join('; ')}`);
  const value = document.toJS({ maxAliasCount: 1000 }) as Json;
  if (!isObject(value)) throw new Error(`${file}: not a mapping`);
  return value;
}

/** `${NAME}`, `${NAME:-default}`, `${NAME-default}` with the given variables; `$$` is a literal `$`. */
export function interpolate(value: Json, variables: Record<string, string | undefined>): Json {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
      (match, name?: string, operator?: string, fallback?: string) => {
        if (match === '$$') return '$';
        const given = variables[name!];
        if (operator === ':-') return given ? given : (fallback ?? '');
        if (operator === '-') return given ?? fallback ?? '';
        return given ?? '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, variables));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, variables)]));
  return value;
}

/** environment / labels may be a mapping or a `KEY=value` list; both become a mapping. */
function asMapping(value: Json): JsonObject {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => {
        const [key, ...rest] = String(entry).split('=');
        return [key!, rest.length > 0 ? rest.join('=') : null];
      }),
    );
  }
  return isObject(value) ? value : {};
}

const MAPPING_OR_LIST_FIELDS = new Set(['environment', 'labels', 'extra_hosts']);
/** Sequences compose merges by appending unique entries; every other sequence is replaced. */
const APPENDED_SEQUENCES = new Set([
  'ports',
  'expose',
  'dns',
  'dns_search',
  'cap_add',
  'cap_drop',
  'tmpfs',
  'env_file',
  'secrets',
  'configs',
  'volumes',
]);

function removeTags(value: Json): Json {
  const tagged = tagOf(value);
  if (tagged) return removeTags(tagged.value);
  if (Array.isArray(value)) return value.map(removeTags);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, removeTags(item)]));
  return value;
}

/** Compose's merge of an override file into what came before, field by field. */
function mergeValue(base: Json | undefined, override: Json, field: string): Json {
  const tagged = tagOf(override);
  if (tagged) return removeTags(tagged.value); // !reset / !override: the override's value alone
  if (base === undefined) return removeTags(override);
  if (MAPPING_OR_LIST_FIELDS.has(field)) return { ...asMapping(base), ...asMapping(removeTags(override)) };
  if (Array.isArray(base) && Array.isArray(override)) {
    if (!APPENDED_SEQUENCES.has(field)) return removeTags(override);
    const merged = [...base];
    for (const item of removeTags(override) as Json[]) {
      if (!merged.some((existing) => JSON.stringify(existing) === JSON.stringify(item))) merged.push(item);
    }
    return merged;
  }
  if (isObject(base) && isObject(override)) {
    const merged: JsonObject = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = mergeValue(base[key], value, key);
    return merged;
  }
  return removeTags(override);
}

export interface ComposeProject {
  services: Record<string, ComposeService>;
  volumes: JsonObject;
  secrets: JsonObject;
  raw: JsonObject;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  /** Always a mapping here, whichever form the file used. */
  environment: Record<string, string | null>;
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; [key: string]: Json };
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: string[];
  restart?: string;
  deploy?: JsonObject;
  [key: string]: unknown;
}

/**
 * Loads compose files in order (later ones override earlier ones), then interpolates with
 * `variables` (defaults apply where a variable is unset, as on a machine without a .env file).
 */
export function loadComposeProject(files: string[], variables: Record<string, string | undefined> = {}): ComposeProject {
  let merged: JsonObject = {};
  for (const file of files) {
    const content = readComposeFile(file);
    merged = mergeValue(merged, content, '') as JsonObject;
  }
  const resolved = interpolate(removeTags(merged), variables) as JsonObject;
  const services = (isObject(resolved.services) ? resolved.services : {}) as Record<string, JsonObject>;
  for (const definition of Object.values(services)) definition.environment = asMapping(definition.environment ?? {});
  return {
    services: services as unknown as Record<string, ComposeService>,
    volumes: isObject(resolved.volumes) ? resolved.volumes : {},
    secrets: isObject(resolved.secrets) ? resolved.secrets : {},
    raw: resolved,
  };
}

/** The files of the repo's stacks. */
export function composeFiles(root: string, stack: 'dev' | 'prod'): string[] {
  const base = path.join(root, 'docker-compose.yml');
  return stack === 'dev' ? [base] : [base, path.join(root, 'docker-compose.prod.yml')];
}
