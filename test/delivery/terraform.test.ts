/**
 * Delivery: deploy/terraform parses (HashiCorp's HCL parser, compiled to WebAssembly in
 * @cdktf/hcl2json: no terraform binary or provider download needed), every variable used is
 * declared with a type and a description, and what it applies matches deploy/k8s.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { buildKustomization } from './support/kustomize';
import { REPO_ROOT } from './support/services';

const TERRAFORM = path.join(REPO_ROOT, 'deploy/terraform');

type Block = Record<string, unknown>;
interface Module {
  variable?: Record<string, Block[]>;
  locals?: Block[];
  output?: Record<string, Block[]>;
  resource?: Record<string, Record<string, Block[]>>;
  data?: Record<string, Record<string, Block[]>>;
  terraform?: Array<{ required_providers?: Array<Record<string, { source: string; version: string }>> }>;
  provider?: Record<string, Block[]>;
}

/** Every string anywhere in a parsed file (expressions arrive as "${…}" strings). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

function references(files: Module[], prefix: 'var' | 'local'): string[] {
  const pattern = new RegExp(`\\b${prefix}\\.([A-Za-z_][A-Za-z0-9_-]*)`, 'g');
  return [...new Set(files.flatMap(strings).flatMap((text) => [...text.matchAll(pattern)].map((match) => match[1]!)))].sort();
}

let files: Record<string, Module>;
beforeAll(async () => {
  const names = readdirSync(TERRAFORM).filter((name) => name.endsWith('.tf'));
  files = Object.fromEntries(
    await Promise.all(
      names.map(async (name) => [name, (await parse(name, readFileSync(path.join(TERRAFORM, name), 'utf8'))) as Module] as const),
    ),
  );
}, 30_000);

describe('deploy/terraform', () => {
  test('when the module is read, then main.tf, variables.tf and outputs.tf are there and parse', () => {
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['main.tf', 'variables.tf', 'outputs.tf']));
  });

  test('when a file does not parse, then the parser says so', async () => {
    await expect(parse('broken.tf', 'variable "x" {\n  type = string\n')).rejects.toThrow();
  });

  test('when every var.* is collected, then each is declared in variables.tf with a type and a description', () => {
    const declared = files['variables.tf']!.variable ?? {};
    const used = references(Object.values(files), 'var');

    expect(used.filter((name) => !(name in declared))).toEqual([]);
    for (const [name, [block]] of Object.entries(declared) as Array<[string, Block[]]>) {
      expect({ name, type: typeof block!.type, description: typeof block!.description }).toEqual({
        name,
        type: 'string',
        description: 'string',
      });
      expect((block!.description as string).length).toBeGreaterThan(10);
    }
    // Declared but never used is dead configuration.
    expect(Object.keys(declared).filter((name) => !used.includes(name))).toEqual([]);
  });

  test('when every local.* is collected, then each is defined in a locals block', () => {
    const defined = new Set(Object.values(files).flatMap((file) => (file.locals ?? []).flatMap((block) => Object.keys(block))));

    expect(references(Object.values(files), 'local').filter((name) => !defined.has(name))).toEqual([]);
  });

  test('when outputs are read, then each has a description, and URLs and passwords are sensitive', () => {
    for (const [name, [block]] of Object.entries(files['outputs.tf']!.output ?? {}) as Array<[string, Block[]]>) {
      expect({ name, description: typeof block!.description }).toEqual({ name, description: 'string' });
    }
    const variables = files['variables.tf']!.variable ?? {};
    for (const name of ['users_database_url', 'orders_database_url']) expect(variables[name]![0]!.sensitive).toBe(true);
    expect((files['outputs.tf']!.output ?? {}).admin_password![0]!.sensitive).toBe(true);
  });

  test('when providers are used, then each is pinned in required_providers', () => {
    const required = Object.assign({}, ...(files['main.tf']!.terraform ?? []).flatMap((block) => block.required_providers ?? [])) as Record<
      string,
      { source: string; version: string }
    >;
    const used = new Set<string>();
    for (const file of Object.values(files)) {
      for (const kind of [...Object.keys(file.resource ?? {}), ...Object.keys(file.data ?? {})]) used.add(kind.split('_')[0]!);
      for (const name of Object.keys(file.provider ?? {})) used.add(name);
    }
    for (const provider of used)
      expect({ provider, version: required[provider]?.version }).toEqual({ provider, version: expect.stringMatching(/^~>/) });
  });

  test('when it applies an overlay, then the overlay exists and the Secrets it creates are exactly the ones the prod manifests reference', () => {
    const main = files['main.tf']!;
    const overlayDir = strings(main.locals).find((text) => text.includes('/k8s/overlays/'))!;
    expect(overlayDir).toContain('${path.module}/../k8s/overlays/${var.overlay}');
    const overlays = (files['variables.tf']!.variable!.overlay![0]!.validation as Array<{ condition: string }>)[0]!.condition;
    for (const overlay of ['dev', 'prod']) {
      expect(overlays).toContain(`"${overlay}"`);
      expect(existsSync(path.join(TERRAFORM, '../k8s/overlays', overlay, 'kustomization.yaml'))).toBe(true);
    }

    // Each created Secret with the keys its `data` sets (a map, or a merge(...) expression of maps).
    const created = new Map(
      Object.values(main.resource?.kubernetes_secret_v1 ?? {}).map(([block]) => {
        const name = (block!.metadata as Array<{ name: string }>)[0]!.name;
        const data = block!.data;
        const keys =
          typeof data === 'string' ? [...data.matchAll(/\b([A-Z][A-Z0-9_]*)\s*=/g)].map((match) => match[1]!) : Object.keys(data as object);
        return [name, new Set(keys)] as const;
      }),
    );
    const referenced = new Map<string, Set<string>>();
    const prod = JSON.stringify(buildKustomization(path.join(REPO_ROOT, 'deploy/k8s/overlays/prod')));
    for (const match of prod.matchAll(/"secretKeyRef":\{"name":"([^"]+)","key":"([^"]+)"(,"optional":true)?\}/g)) {
      if (match[3]) continue; // optional keys (the admin account) may be absent
      referenced.set(match[1]!, (referenced.get(match[1]!) ?? new Set()).add(match[2]!));
    }
    expect([...created.keys()].sort()).toEqual([...referenced.keys()].sort());
    for (const [name, keys] of referenced) {
      for (const key of keys) expect({ name, key, created: created.get(name)?.has(key) }).toEqual({ name, key, created: true });
    }
  });

  (hasTerraform() ? test : test.skip)('when terraform is installed, then its formatter has nothing to change', () => {
    expect(() => execFileSync('terraform', ['fmt', '-check', '-recursive', TERRAFORM], { stdio: 'pipe' })).not.toThrow();
  });
});

function hasTerraform(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
