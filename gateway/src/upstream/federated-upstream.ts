import { ApolloGateway } from '@apollo/gateway';
import type { KeySetFetcher } from '@fedshop/shared/auth';
import type { ReadinessCheck } from '@fedshop/shared/http';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { GatewayConfig } from '../config';
import { createSupergraphSource, type SupergraphSource } from '../supergraph/supergraph-source';
import { createKeySetFetcher } from './key-set-fetcher';
import { SubgraphDataSource } from './subgraph-data-source';
import { createSubgraphFetchMetrics } from './subgraph-fetch-metrics';
import { checkSubgraphReady } from './subgraph-readiness';
import { createSubgraphAgent } from './subgraph-request';

export interface FederatedUpstream {
  /** Plans each operation on the supergraph and executes it over the subgraphs: Apollo Server's `gateway`. */
  gateway: ApolloGateway;
  /** The supergraph being served, a new version applied when its file changes. */
  supergraph: SupergraphSource;
  /** The data source calling one subgraph; subscriptions complete their events through the same. */
  buildService: (subgraph: { name: string; url?: string }) => SubgraphDataSource;
  /** Fetches the users service's JWKS over the same pool (Node's fetch is never loaded in the gateway). */
  fetchKeySet: KeySetFetcher;
  /** What /readyz checks: the supergraph, and each subgraph of the version being served. */
  readinessChecks(): ReadinessCheck[];
  /** Closes the connection pool to the subgraphs. */
  close(): Promise<void>;
}

/**
 * The gateway's side toward its subgraphs: an Apollo Gateway on the committed supergraph (no
 * runtime introspection of the subgraphs), calling each subgraph through our own data source
 * (ADR 0001) over one shared connection pool.
 */
export function createFederatedUpstream(
  config: Pick<
    GatewayConfig,
    'supergraphPath' | 'subgraphUrlOverrides' | 'supergraphPollMs' | 'subgraphTimeoutMs' | 'subgraphDeduplication' | 'apolloUsageReporting'
  >,
  options: { logger: Logger; registry: Registry },
): FederatedUpstream {
  const { logger, registry } = options;
  const supergraph = createSupergraphSource({
    path: config.supergraphPath,
    overrides: config.subgraphUrlOverrides,
    pollIntervalMs: config.supergraphPollMs,
    logger,
    reloads: new Counter({
      name: 'gateway_supergraph_reloads_total',
      help: 'New supergraph versions seen, by result (applied / rejected).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  });
  const agent = createSubgraphAgent();
  const subgraphFetches = createSubgraphFetchMetrics(registry);
  // With a tracer provider registered (runServiceMain), Apollo Gateway adds its own spans:
  // gateway.request, gateway.validate, gateway.plan, gateway.execute, gateway.fetch per subgraph.
  // @apollo/gateway reads this variable itself, when constructed: unless asked for, it must
  // not phone home (nor wait on cloud metadata endpoints) from a self-hosted platform.
  if (!config.apolloUsageReporting) process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new SubgraphDataSource({
      name,
      url: url ?? '',
      agent,
      timeoutMs: config.subgraphTimeoutMs,
      deduplication: config.subgraphDeduplication,
      metrics: subgraphFetches,
    });
  return {
    gateway: new ApolloGateway({ supergraphSdl: supergraph.hook, buildService, logger }),
    supergraph,
    buildService,
    fetchKeySet: createKeySetFetcher(agent),
    readinessChecks: () => [
      // Loaded once Apollo Server has started: a supergraph that does not load fails the start.
      { name: 'supergraph', check: async () => undefined },
      ...supergraph.subgraphs().map((subgraph) => ({
        name: subgraph.name,
        check: () => checkSubgraphReady(subgraph.url, agent),
      })),
    ],
    close: () => agent.close(),
  };
}
