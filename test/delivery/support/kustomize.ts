/**
 * A kustomize subset, for building deploy/k8s overlays inside `npm test`: no kustomize or kubectl
 * binary installs from the npm registry, and these machines reach nothing else. It implements
 * exactly the fields deploy/k8s uses, the way kustomize v5 does, and refuses every other field
 * (so using a new kustomize feature fails the tests loudly instead of being silently ignored):
 *
 * - `resources`: YAML files (several documents each) and directories holding a kustomization.yaml;
 * - `patches` with `path` or inline `patch`: strategic-merge patches, matched to a resource by kind
 *   and metadata.name; lists merge by key (`name` for containers, env, volumes …; `mountPath` for
 *   volumeMounts; `containerPort` / `port` for ports), the patch's items first as kustomize orders
 *   them, other lists are replaced, `null` deletes;
 * - `namespace`: set on every namespaced resource; a Namespace resource is renamed to it;
 * - `labels` (`pairs`, `includeTemplates`; not `includeSelectors`): added to metadata.labels
 *   (and to pod template labels with `includeTemplates: true`);
 * - `images` (`name`, `newName`, `newTag`, `digest`): container and init-container images.
 *
 * Order as in kustomize: resources (each built first), patches, namespace, labels, images.
 * When kubectl is on PATH, test/delivery compares this builder's output with `kubectl kustomize`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);

/** Kinds that live outside namespaces (the ones a namespace transformer must leave alone). */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'IngressClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

/** Where a kind keeps its pod spec, for images and template labels. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Strategic-merge keys of the associative lists deploy/k8s patches, by field name. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  envFrom: '', // replaced, as kustomize does (no merge key)
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
};

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every document of a YAML file (empty documents skipped); YAML errors throw with the file name. */
export function readYamlDocuments(file: string): JsonObject[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  const parsed: JsonObject[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new KustomizeError(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
    }
    const value = document.toJS() as Json;
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new KustomizeError(`${file}: a document is not a mapping`);
    parsed.push(value);
  }
  return parsed;
}

function asResource(value: JsonObject, source: string): K8sResource {
  const metadata = value.metadata;
  if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isObject(metadata) || typeof metadata.name !== 'string') {
    throw new KustomizeError(`${source}: every resource needs apiVersion, kind and metadata.name`);
  }
  return value as unknown as K8sResource;
}

function kustomizationFile(dir: string): string {
  const found = KUSTOMIZATION_FILES.map((name) => path.join(dir, name)).find((file) => existsSync(file));
  if (!found) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  return found;
}

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (field === 'ports') {
    // Container ports merge by containerPort, Service ports by port.
    return items.some((item) => isObject(item) && 'containerPort' in item) ? 'containerPort' : 'port';
  }
  const key = MERGE_KEYS[field];
  return key ? key : undefined;
}

/** Strategic merge of `patch` into `target` (a new value; neither input is changed). */
export function strategicMerge(target: Json, patch: Json, field = ''): Json {
  if (isObject(target) && isObject(patch)) {
    const merged: JsonObject = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (key.startsWith('$')) throw new KustomizeError(`strategic-merge directive ${key} is not supported`);
      if (value === null) delete merged[key];
      else merged[key] = key in target ? strategicMerge(target[key]!, value, key) : value;
    }
    return merged;
  }
  if (Array.isArray(target) && Array.isArray(patch)) {
    const key = mergeKeyFor(field, [...target, ...patch]);
    if (!key) return patch;
    // As kustomize (kyaml) orders them: the patch's items first, merged with their originals,
    // then the original items the patch does not mention.
    const merged: Json[] = [];
    for (const item of patch) {
      if (!isObject(item) || !(key in item)) throw new KustomizeError(`an item of ${field} has no ${key}`);
      const original = target.find((existing) => isObject(existing) && existing[key] === item[key]);
      merged.push(original === undefined ? item : strategicMerge(original, item, field));
    }
    for (const item of target) {
      if (!patch.some((entry) => isObject(entry) && isObject(item) && entry[key] === item[key])) merged.push(item);
    }
    return merged;
  }
  return patch;
}

function at(value: unknown, keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value);
}

function applyImages(resource: K8sResource, images: JsonObject[]): void {
  const specPath = POD_SPEC_PATHS[resource.kind];
  if (!specPath) return;
  const podSpec = at(resource, specPath);
  for (const list of ['containers', 'initContainers']) {
    const containers = at(podSpec, [list]);
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      if (!isObject(container) || typeof container.image !== 'string') continue;
      const match = /^(?<name>[^@]+?)(?::(?<tag>[^:/@]+))?(?:@(?<digest>.+))?$/.exec(container.image);
      const name = match?.groups?.name;
      const rule = images.find((image) => image.name === name);
      if (!match || !rule) continue;
      const newName = typeof rule.newName === 'string' ? rule.newName : name;
      if (typeof rule.digest === 'string') container.image = `${newName}@${rule.digest}`;
      else {
        const tag = rule.newTag !== undefined ? String(rule.newTag) : match.groups?.tag;
        const digest = match.groups?.digest;
        container.image = `${newName}${tag ? `:${tag}` : ''}${digest && rule.newTag === undefined ? `@${digest}` : ''}`;
      }
    }
  }
}

function applyLabels(resource: K8sResource, rule: JsonObject, source: string): void {
  for (const key of Object.keys(rule)) {
    if (!['pairs', 'includeTemplates', 'includeSelectors'].includes(key))
      throw new KustomizeError(`${source}: labels.${key} is not supported`);
  }
  if (rule.includeSelectors === true) throw new KustomizeError(`${source}: labels.includeSelectors is not supported`);
  const pairs = rule.pairs;
  if (!isObject(pairs)) throw new KustomizeError(`${source}: labels need pairs`);
  const labels = Object.fromEntries(Object.entries(pairs).map(([key, value]) => [key, String(value)]));
  resource.metadata.labels = { ...resource.metadata.labels, ...labels };
  const specPath = POD_SPEC_PATHS[resource.kind];
  if (rule.includeTemplates === true && specPath && specPath.length > 1) {
    const template = at(resource, specPath.slice(0, -1));
    if (isObject(template)) {
      const metadata = isObject(template.metadata) ? template.metadata : (template.metadata = {});
      metadata.labels = { ...(isObject(metadata.labels) ? metadata.labels : {}), ...labels };
    }
  }
}

function readPatches(entry: Json, dir: string, source: string): JsonObject[] {
  if (!isObject(entry)) throw new KustomizeError(`${source}: a patch must be a mapping`);
  for (const key of Object.keys(entry)) {
    if (key !== 'path' && key !== 'patch')
      throw new KustomizeError(`${source}: patches[].${key} is not supported (strategic-merge patches by path or inline only)`);
  }
  if (typeof entry.path === 'string') return readYamlDocuments(path.join(dir, entry.path));
  if (typeof entry.patch === 'string') {
    return parseAllDocuments(entry.patch)
      .map((document) => document.toJS() as JsonObject)
      .filter(isObject);
  }
  throw new KustomizeError(`${source}: a patch needs path or patch`);
}

/** Builds the kustomization in `dir` (a directory holding kustomization.yaml) into its resources. */
export function buildKustomization(dir: string): K8sResource[] {
  const file = kustomizationFile(dir);
  const [kustomization] = readYamlDocuments(file);
  if (!kustomization) throw new KustomizeError(`${file}: empty`);
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(key)) throw new KustomizeError(`${file}: field ${key} is not supported by this kustomize subset`);
  }
  if (kustomization.kind !== undefined && kustomization.kind !== 'Kustomization') {
    throw new KustomizeError(`${file}: kind must be Kustomization`);
  }

  const resources: K8sResource[] = [];
  for (const entry of (kustomization.resources as Json[] | undefined) ?? []) {
    if (typeof entry !== 'string') throw new KustomizeError(`${file}: resources must be paths`);
    const target = path.join(dir, entry);
    if (!existsSync(target)) throw new KustomizeError(`${file}: resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) resources.push(...buildKustomization(target));
    else resources.push(...readYamlDocuments(target).map((document) => asResource(document, target)));
  }
  const seen = new Set<string>();
  for (const resource of resources) {
    const id = `${resource.kind}/${resource.metadata.namespace ?? ''}/${resource.metadata.name}`;
    if (seen.has(id)) throw new KustomizeError(`${file}: ${id} is defined twice`);
    seen.add(id);
  }

  let built: K8sResource[] = resources.map((resource) => structuredClone(resource));
  for (const entry of (kustomization.patches as Json[] | undefined) ?? []) {
    for (const patch of readPatches(entry, dir, file)) {
      const patchResource = asResource(patch, file);
      const matches = built.filter(
        (resource) =>
          resource.kind === patchResource.kind &&
          resource.metadata.name === patchResource.metadata.name &&
          (patchResource.metadata.namespace === undefined || resource.metadata.namespace === patchResource.metadata.namespace),
      );
      if (matches.length !== 1) {
        throw new KustomizeError(
          `${file}: patch for ${patchResource.kind}/${patchResource.metadata.name} matches ${matches.length} resources`,
        );
      }
      built = built.map((resource) =>
        resource === matches[0] ? (strategicMerge(resource as never, patch) as unknown as K8sResource) : resource,
      );
    }
  }

  const namespace = kustomization.namespace;
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') throw new KustomizeError(`${file}: namespace must be a string`);
    for (const resource of built) {
      if (resource.kind === 'Namespace') resource.metadata.name = namespace;
      else if (!CLUSTER_SCOPED_KINDS.has(resource.kind)) resource.metadata.namespace = namespace;
    }
  }
  for (const rule of (kustomization.labels as Json[] | undefined) ?? []) {
    if (!isObject(rule)) throw new KustomizeError(`${file}: labels entries must be mappings`);
    for (const resource of built) applyLabels(resource, rule, file);
  }
  const images = (kustomization.images as Json[] | undefined) ?? [];
  if (!images.every(isObject)) throw new KustomizeError(`${file}: images entries must be mappings`);
  for (const resource of built) applyImages(resource, images as JsonObject[]);
  return built;
}
