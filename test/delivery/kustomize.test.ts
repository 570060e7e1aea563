/**
 * The kustomize subset (support/kustomize.ts) that builds deploy/k8s in `npm test`: each field it
 * implements behaves as kustomize's, and every field it does not implement is refused.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKustomization, KustomizeError, strategicMerge } from './support/kustomize';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'fedshop-kustomize-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: { app: api }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - name: api
          image: example/api:1.0.0
          args: ["--a", "--b"]
          env:
            - { name: A, value: "1" }
            - { name: B, value: "2" }
          ports:
            - { name: http, containerPort: 8080 }
        - name: sidecar
          image: example/sidecar
---
apiVersion: v1
kind: Namespace
metadata:
  name: base-ns
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
data: { LEVEL: info, DROP: me }
`;

describe('buildKustomization', () => {
  beforeEach(() => {
    write('base/resources.yaml', DEPLOYMENT);
    write('base/kustomization.yaml', 'resources: [resources.yaml]\nnamespace: base-ns\n');
  });

  test('when an overlay patches, relabels, renames the namespace and retags, then the result is what kustomize builds', () => {
    write(
      'overlay/patch.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  template:
    spec:
      containers:
        - name: api
          args: ["--c"]
          env:
            - { name: B, value: "20" }
            - { name: C, value: "3" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: api-config }
data: { LEVEL: debug, DROP: null }
`,
    );
    write(
      'overlay/kustomization.yaml',
      `resources: [../base]
namespace: prod
labels:
  - pairs: { team: shop }
images:
  - { name: example/api, newName: registry.example.com/api, newTag: 2.0.0 }
  - { name: example/sidecar, newTag: "3" }
patches:
  - path: patch.yaml
`,
    );

    const [deployment, namespace, config] = buildKustomization(path.join(root, 'overlay'));

    expect(namespace).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', labels: { team: 'shop' } } });
    expect(config).toMatchObject({ metadata: { namespace: 'prod', labels: { team: 'shop' } }, data: { LEVEL: 'debug' } });
    expect((config as unknown as { data: object }).data).not.toHaveProperty('DROP');
    expect(deployment!.metadata).toEqual({ name: 'api', namespace: 'prod', labels: { app: 'api', team: 'shop' } });
    const spec = deployment!.spec as { selector: object; template: { metadata: object; spec: { containers: object[] } } };
    // Labels go on metadata only: selectors and pod templates are left alone.
    expect(spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(spec.template.metadata).toEqual({ labels: { app: 'api' } });
    expect(spec.template.spec.containers).toEqual([
      {
        name: 'api',
        image: 'registry.example.com/api:2.0.0',
        args: ['--c'],
        // kustomize's order: the patch's entries, then the ones it left alone.
        env: [
          { name: 'B', value: '20' },
          { name: 'C', value: '3' },
          { name: 'A', value: '1' },
        ],
        ports: [{ name: 'http', containerPort: 8080 }],
      },
      { name: 'sidecar', image: 'example/sidecar:3' },
    ]);
  });

  test('when labels include templates, then pod templates get them too', () => {
    write('overlay/kustomization.yaml', 'resources: [../base]\nlabels:\n  - pairs: { team: shop }\n    includeTemplates: true\n');

    const [deployment] = buildKustomization(path.join(root, 'overlay'));

    expect((deployment!.spec as { template: { metadata: object } }).template.metadata).toEqual({ labels: { app: 'api', team: 'shop' } });
  });

  test.each([
    ['commonLabels: { a: b }', 'field commonLabels is not supported'],
    ['configMapGenerator: []', 'field configMapGenerator is not supported'],
    ['labels:\n  - pairs: { a: b }\n    includeSelectors: true', 'labels.includeSelectors is not supported'],
    ['patches:\n  - path: p.yaml\n    target: { kind: Deployment }', 'patches[].target is not supported'],
  ])('when a kustomization uses a feature outside the subset (%s), then the build fails naming it', (extra, message) => {
    write('overlay/p.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\n');
    write('overlay/kustomization.yaml', `resources: [../base]\n${extra}\n`);

    expect(() => buildKustomization(path.join(root, 'overlay'))).toThrow(message);
  });

  test('when a patch names a resource that is not there, then the build fails', () => {
    write('overlay/p.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: nope }\n');
    write('overlay/kustomization.yaml', 'resources: [../base]\npatches:\n  - path: p.yaml\n');

    expect(() => buildKustomization(path.join(root, 'overlay'))).toThrow('patch for Deployment/nope matches 0 resources');
  });

  test('when a resource is listed twice or a file is missing, then the build fails', () => {
    write('twice/kustomization.yaml', 'resources: [../base/resources.yaml, ../base/resources.yaml]\n');
    write('missing/kustomization.yaml', 'resources: [nowhere.yaml]\n');

    expect(() => buildKustomization(path.join(root, 'twice'))).toThrow(KustomizeError);
    expect(() => buildKustomization(path.join(root, 'missing'))).toThrow('resource nowhere.yaml does not exist');
  });
});

describe('strategicMerge', () => {
  test('when a patch uses a $patch directive, then it is refused rather than misread', () => {
    expect(() => strategicMerge({ a: 1 }, { $patch: 'delete' })).toThrow('strategic-merge directive $patch is not supported');
  });

  test('when ports are merged, then container ports merge by containerPort and service ports by port', () => {
    expect(
      strategicMerge(
        { ports: [{ containerPort: 1, name: 'a' }] },
        { ports: [{ containerPort: 1, protocol: 'TCP' }, { containerPort: 2 }] },
      ),
    ).toEqual({
      ports: [{ containerPort: 1, name: 'a', protocol: 'TCP' }, { containerPort: 2 }],
    });
    expect(strategicMerge({ ports: [{ port: 80, name: 'http' }] }, { ports: [{ port: 80, targetPort: 8080 }] })).toEqual({
      ports: [{ port: 80, name: 'http', targetPort: 8080 }],
    });
  });
});
