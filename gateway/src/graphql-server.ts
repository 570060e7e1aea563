import type { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ERROR_CODES, REQUEST_REJECTION_CODES, createGraphQLErrorFormatter } from '@fedshop/shared/errors';
import { stringifyCompactResult } from '@fedshop/shared/graphql';
import type { GraphQLMetrics } from '@fedshop/shared/metrics';
import { graphqlTelemetryPlugin } from '@fedshop/shared/telemetry';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config';
import type { EdgeProtection } from './edge/edge-protection';
import type { GatewayContext } from './gateway-context';
import type { ResponseCache } from './response-cache/response-cache';
import { sessionCookiePlugin } from './session/session-cookie-plugin';
import { subscriptionsElsewherePlugin } from './subscriptions/subscriptions-elsewhere-plugin';

export type GatewayErrorFormatter = ReturnType<typeof createGatewayErrorFormatter>;

/**
 * How errors leave the gateway, for queries and subscriptions alike: the subgraphs' codes pass,
 * anything outside the error vocabulary is logged and masked.
 */
export function createGatewayErrorFormatter(options: { logger: Logger; fieldSuggestions: boolean }) {
  return createGraphQLErrorFormatter({
    logger: options.logger,
    // Subgraphs speak the whole vocabulary; RATE_LIMITED is the users service's sign-in throttling.
    trustedUpstreamCodes: new Set([...ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR'), ...REQUEST_REJECTION_CODES]),
    hideSuggestions: !options.fieldSuggestions,
  });
}

/**
 * Apollo Server over the Apollo Gateway, its security posture stated (docs/security.md), with
 * the gateway's plugins: the landing page, edge protection, subscriptions sent as plain requests
 * pointed at their transports, the session cookie, telemetry and the response cache.
 */
export function createGraphQLServer(options: {
  config: Pick<GatewayConfig, 'introspection' | 'edge' | 'sessionCookie'>;
  gateway: ApolloGateway;
  edge: EdgeProtection;
  formatError: GatewayErrorFormatter;
  /** Null when the response cache is off. */
  responseCache: ResponseCache | null;
  graphqlMetrics: GraphQLMetrics;
}): ApolloServer<GatewayContext> {
  const { config, edge } = options;
  return new ApolloServer<GatewayContext>({
    // @apollo/gateway implements server-gateway-interface 1, Apollo Server 5 declares 2: same shape.
    gateway: options.gateway,
    formatError: options.formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // Edge protection (docs/security.md): limits checked before planning, persisted queries.
    validationRules: edge.validationRules,
    persistedQueries: edge.persistedQueries,
    parseOptions: { maxTokens: config.edge.operationLimits.maxTokens },
    stringifyResult: stringifyCompactResult,
    // Apollo Server's defaults, stated because they are part of the security posture.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Shutdown is ours (lifecycle/run-service.ts): drain HTTP first, then stop Apollo.
    stopOnTerminationSignals: false,
    plugins: [
      config.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...edge.plugins,
      subscriptionsElsewherePlugin(),
      sessionCookiePlugin(config.sessionCookie),
      graphqlTelemetryPlugin(options.graphqlMetrics),
      ...(options.responseCache?.plugins ?? []),
    ],
  });
}
