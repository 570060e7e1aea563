// Validates Kubernetes resources against the official OpenAPI schemas, through the per-kind
// models of `kubernetes-models` (ajv validators compiled from the Kubernetes OpenAPI spec).
// The package is ESM-only and jest loads CommonJS, so the tests run this file with plain node:
//   stdin:  a JSON array of resources;  stdout: a JSON array of { resource, errors } (empty = valid).

import { readFileSync } from 'node:fs';

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`; core `v1` → `kubernetes-models/v1/…`. */
function modulePath(apiVersion, kind) {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const resources = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const resource of resources) {
  const id = `${resource.kind}/${resource.metadata?.name}`;
  let Model;
  try {
    Model = (await import(modulePath(resource.apiVersion, resource.kind)))[resource.kind];
  } catch {
    results.push({ resource: id, errors: [`no schema for ${resource.apiVersion} ${resource.kind}`] });
    continue;
  }
  try {
    new Model(resource).validate();
    results.push({ resource: id, errors: [] });
  } catch (error) {
    const details = Array.isArray(error.errors)
      ? error.errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params ?? {})}`)
      : [String(error.message ?? error)];
    results.push({ resource: id, errors: details });
  }
}
process.stdout.write(JSON.stringify(results));
