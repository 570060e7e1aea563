/**
 * Evaluates Kubernetes NetworkPolicy ingress rules the way the API defines them, so tests can
 * state who may reach whom instead of re-reading YAML: a pod selected by no Ingress policy
 * accepts everything; a selected pod accepts a connection when any selecting policy has a rule
 * whose `from` matches the source (pod and namespace selectors, ipBlock for traffic from outside
 * the cluster) and whose `ports` match the port (numbers or the destination's named ports).
 */
import type { K8sResource } from './kustomize';

export interface Workload {
  /** A readable name for messages, e.g. `users` or `users-migrate`. */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Container ports by name (for policies that name ports). */
  namedPorts: Record<string, number>;
}

/** A connection source: a pod in the cluster, or something outside it (`external`). */
export type Source =
  { kind: 'pod'; namespace: string; labels: Record<string, string>; namespaceLabels?: Record<string, string> } | { kind: 'external' };

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

interface IngressRule {
  from?: PolicyPeer[];
  ports?: PolicyPort[];
}

interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: IngressRule[];
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const value = labels[expression.key];
    const ok =
      expression.operator === 'In'
        ? value !== undefined && (expression.values ?? []).includes(value)
        : expression.operator === 'NotIn'
          ? value === undefined || !(expression.values ?? []).includes(value)
          : expression.operator === 'Exists'
            ? value !== undefined
            : value === undefined;
    if (!ok) return false;
  }
  return true;
}

function peerMatches(peer: PolicyPeer, source: Source, policyNamespace: string): boolean {
  if (source.kind === 'external') return peer.ipBlock !== undefined;
  if (peer.ipBlock) return false; // cluster pods are not matched by ipBlock in practice (pod IPs are ephemeral)
  const namespaceLabels = source.namespaceLabels ?? { 'kubernetes.io/metadata.name': source.namespace };
  const namespaceOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, namespaceLabels)
    : source.namespace === policyNamespace;
  return namespaceOk && selectorMatches(peer.podSelector, source.labels);
}

function portMatches(rule: PolicyPort, port: number, protocol: string, destination: Workload): boolean {
  if ((rule.protocol ?? 'TCP') !== protocol) return false;
  if (rule.port === undefined) return true;
  const start = typeof rule.port === 'number' ? rule.port : destination.namedPorts[rule.port];
  if (start === undefined) return false;
  return rule.endPort !== undefined ? port >= start && port <= rule.endPort : port === start;
}

function ingressPolicies(resources: K8sResource[]): Array<{ namespace: string; name: string; spec: NetworkPolicySpec }> {
  return resources
    .filter((resource) => resource.kind === 'NetworkPolicy')
    .map((resource) => ({
      namespace: resource.metadata.namespace ?? 'default',
      name: resource.metadata.name,
      spec: resource.spec as NetworkPolicySpec,
    }))
    .filter(({ spec }) => (spec.policyTypes ?? ['Ingress']).includes('Ingress'));
}

/** Whether `source` may open a connection to `destination` on `port` under the given policies. */
export function ingressAllowed(resources: K8sResource[], source: Source, destination: Workload, port: number, protocol = 'TCP'): boolean {
  const selecting = ingressPolicies(resources).filter(
    (policy) => policy.namespace === destination.namespace && selectorMatches(policy.spec.podSelector, destination.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    (policy.spec.ingress ?? []).some(
      (rule) =>
        (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, source, policy.namespace))) &&
        (rule.ports === undefined ||
          rule.ports.length === 0 ||
          rule.ports.some((entry) => portMatches(entry, port, protocol, destination))),
    ),
  );
}

/** The pods each Deployment, StatefulSet and Job of a build would run: template labels and named container ports. */
export function workloads(resources: K8sResource[]): Workload[] {
  return resources
    .filter((resource) => ['Deployment', 'StatefulSet', 'Job'].includes(resource.kind))
    .map((resource) => {
      const template = (
        resource.spec as {
          template: {
            metadata?: { labels?: Record<string, string> };
            spec: { containers: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> };
          };
        }
      ).template;
      const namedPorts: Record<string, number> = {};
      for (const container of template.spec.containers) {
        for (const port of container.ports ?? []) if (port.name) namedPorts[port.name] = port.containerPort;
      }
      return {
        name: resource.metadata.name,
        namespace: resource.metadata.namespace ?? 'default',
        labels: template.metadata?.labels ?? {},
        namedPorts,
      };
    });
}
