/**
 * Delivery: deploy/terraform parses (HashiCorp's HCL parser, compiled to WebAssembly in
 * @cdktf/hcl2json: no terraform binary or provider download needed), every variable used is
 * declared with a type and a description, and what it applies matches deploy/k8s.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getExpressionAst, getReferencesInExpression, parse, type TFExpressionSyntaxTree } from '@cdktf/hcl2json';
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

type Expression = TFExpressionSyntaxTree.ExpressionType;

/** The names `prefix.<name>` that the files' expressions reference (HCL's parser finds the references). */
async function references(files: Module[], prefix: 'var' | 'local'): Promise<string[]> {
  const expressions = files.flatMap(strings).filter((text) => text.includes('${'));
  const found = await Promise.all(expressions.map((text) => getReferencesInExpression('module.tf', text)));
  const names = found.flat().flatMap((reference) => {
    const [root, name] = reference.value.split('.');
    return root === prefix && name ? [name] : [];
  });
  return [...new Set(names)].sort();
}

/** The expression of an attribute as hcl2json gives it (a template string: "${merge(…)}", "${path.module}/x"). */
async function expression(text: string): Promise<Expression> {
  // Quoted as written: inside ${…} HCL takes quotes unescaped.
  const ast = await getExpressionAst('module.tf', `"${text}"`);
  if (!ast) throw new Error(`no expression in ${text}`);
  // One interpolation and nothing else is that expression itself.
  return ast.type === 'templateWrap' ? ast.children[0]! : ast;
}

function walk(node: Expression): Expression[] {
  return [node, ...(node.children ?? []).flatMap(walk)];
}

/** A template's text with its references replaced by `values` (only literals and plain references). */
function render(template: Expression, values: Record<string, string>): string {
  return (template.children ?? [])
    .map((part) => {
      if (part.type === 'literalValue') return part.meta.value;
      if (part.type === 'scopeTraversal' && part.meta.fullAccessor in values) return values[part.meta.fullAccessor]!;
      throw new Error(`cannot render ${part.type} ${part.meta?.value ?? ''}`);
    })
    .join('');
}

/** Every `secretKeyRef` in Kubernetes objects: the Secret's name, the key, whether it is optional. */
function secretKeyRefs(value: unknown): Array<{ name: string; key: string; optional?: boolean }> {
  if (Array.isArray(value)) return value.flatMap(secretKeyRefs);
  if (typeof value !== 'object' || value === null) return [];
  const own = 'secretKeyRef' in value ? [(value as { secretKeyRef: { name: string; key: string; optional?: boolean } }).secretKeyRef] : [];
  return [...own, ...Object.values(value).flatMap(secretKeyRefs)];
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

  test('when every var.* is collected, then each is declared in variables.tf with a type and a description', async () => {
    const declared = files['variables.tf']!.variable ?? {};
    const used = await references(Object.values(files), 'var');
    expect(used).toEqual(expect.arrayContaining(['overlay', 'namespace']));

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

  test('when every local.* is collected, then each is defined in a locals block', async () => {
    const defined = new Set(Object.values(files).flatMap((file) => (file.locals ?? []).flatMap((block) => Object.keys(block))));
    const used = await references(Object.values(files), 'local');

    expect(used).toEqual(expect.arrayContaining(['overlay_dir']));
    expect(used.filter((name) => !defined.has(name))).toEqual([]);
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

  test('when it applies an overlay, then the overlay exists and the Secrets it creates are exactly the ones the prod manifests reference', async () => {
    const main = files['main.tf']!;
    // The overlay folder kustomize reads, for each overlay the variable's validation allows.
    const resources = (main.data?.kustomization_overlay?.fedshop?.[0]?.resources ?? []) as string[];
    expect(resources).toHaveLength(1);
    const [reference] = await getReferencesInExpression('main.tf', resources[0]!);
    const local = reference!.value.split('.')[1]!;
    const overlayDir = await expression(main.locals!.find((block) => local in block)![local] as string);
    const validation = await expression(
      (files['variables.tf']!.variable!.overlay![0]!.validation as Array<{ condition: string }>)[0]!.condition,
    );
    expect({ type: validation.type, name: validation.type === 'function' ? validation.meta.name : undefined }).toEqual({
      type: 'function',
      name: 'contains',
    });
    const allowed = walk(validation.children[0]!)
      .filter((node) => node.type === 'literalValue')
      .map((node) => node.meta.value);
    expect(allowed.sort()).toEqual(['dev', 'prod']);
    for (const overlay of allowed) {
      const dir = path.resolve(render(overlayDir, { 'path.module': TERRAFORM, 'var.overlay': overlay }));
      expect(dir).toBe(path.join(REPO_ROOT, 'deploy/k8s/overlays', overlay));
      expect(existsSync(path.join(dir, 'kustomization.yaml'))).toBe(true);
    }

    // Each created Secret with the keys its `data` sets (a map, or an expression such as merge(...) of maps).
    const created = new Map(
      await Promise.all(
        Object.values(main.resource?.kubernetes_secret_v1 ?? {}).map(async ([block]) => {
          const name = (block!.metadata as Array<{ name: string }>)[0]!.name;
          const data = block!.data;
          const keys =
            typeof data === 'string'
              ? walk(await expression(data)).flatMap((node) => (node.type === 'object' ? Object.keys(node.meta.items) : []))
              : Object.keys(data as object);
          return [name, new Set(keys)] as const;
        }),
      ),
    );
    const referenced = new Map<string, Set<string>>();
    for (const ref of secretKeyRefs(buildKustomization(path.join(REPO_ROOT, 'deploy/k8s/overlays/prod')))) {
      if (ref.optional) continue; // optional keys (the admin account) may be absent
      referenced.set(ref.name, (referenced.get(ref.name) ?? new Set()).add(ref.key));
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
