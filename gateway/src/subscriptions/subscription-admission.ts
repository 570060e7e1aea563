import { parseBearerToken, type TokenVerifier, type Viewer } from '@fedshop/shared/auth';
import { AppError } from '@fedshop/shared/errors';
import {
  getOperationAST,
  GraphQLError,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ValidationRule,
} from 'graphql';
import type { EdgeMetrics } from '../edge/edge-metrics';
import { checkDocumentSize, operationCost, type OperationLimits } from '../edge/operation-limits';
import { sha256Hex, type Safelist } from '../edge/persisted-queries';
import type { RateLimiter } from '../edge/rate-limit';
import type { SubscriptionPlan, SubscriptionPlanner } from './subscription-planner';

/** Who subscribes, as proven when the connection (WebSocket) or stream (SSE) opened. */
export interface SubscriptionCaller {
  token: string | null;
  viewer: Viewer | null;
  /** When the token stops being valid (ms since the epoch); null when anonymous. */
  validUntilMs: number | null;
  clientAddress: string;
}

/** A GraphQL request as graphql-ws and GraphQL over SSE carry it. */
export interface SubscriptionRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/** A subscription that passed every check, with its plan. */
export interface AdmittedSubscription {
  query: string;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  plan: SubscriptionPlan;
  /** Identifies the document for plan caching and re-planning. */
  key: string;
}

/** A refusal: the errors to send (codes in extensions) and the HTTP status SSE answers with. */
export class SubscriptionRefusal extends Error {
  constructor(
    readonly errors: GraphQLError[],
    readonly status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(errors[0]?.message ?? 'refused');
    this.name = 'SubscriptionRefusal';
  }
}

export interface SubscriptionAdmissionOptions {
  verifier: TokenVerifier;
  rateLimiter: RateLimiter;
  limits: OperationLimits;
  /** Only manifest operations run (PERSISTED_QUERIES=safelist); null otherwise. */
  safelist: Safelist | null;
  /** Persisted queries: `off` refuses hashes. */
  persistedQueries: 'apq' | 'safelist' | 'off';
  /** The operation-limit validation rules of the HTTP endpoint (depth, aliases, root fields). */
  validationRules: ValidationRule[];
  planner: SubscriptionPlanner;
  metrics: EdgeMetrics;
}

/** A thrown edge rejection (GraphQLError with `extensions.http`, or an AppError) as a refusal. */
export function toRefusal(error: unknown): SubscriptionRefusal {
  if (error instanceof SubscriptionRefusal) return error;
  if (error instanceof AppError) {
    const status =
      error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'SERVICE_UNAVAILABLE' ? 503 : error.code === 'RATE_LIMITED' ? 429 : 400;
    return new SubscriptionRefusal([new GraphQLError(error.message, { originalError: error })], status);
  }
  if (error instanceof GraphQLError) {
    const { http, ...extensions } = error.extensions as { http?: { status?: number; headers?: Map<string, string> } };
    const headers = Object.fromEntries(http?.headers ?? []);
    return new SubscriptionRefusal(
      [new GraphQLError(error.message, { originalError: error.originalError ?? undefined, extensions })],
      http?.status ?? 400,
      headers,
    );
  }
  throw error;
}

const refuse = (status: number, code: string, message: string) =>
  new SubscriptionRefusal([new GraphQLError(message, { extensions: { code } })], status);

/**
 * The edge checks of the HTTP endpoint (README, Security), applied to subscriptions in the
 * same order and with the same code: the bearer token is verified by the gateway's verifier
 * (`authenticate`, when the connection or stream opens); each subscription then takes a token
 * from its caller's rate-limit bucket, and its document must pass the size limits, the
 * safelist (in safelist mode), validation with the operation limits, and the cost limit,
 * before it is planned. Nothing reaches a subgraph before all of them passed.
 */
export function createSubscriptionAdmission(options: SubscriptionAdmissionOptions) {
  const rules = [...specifiedRules, ...options.validationRules];

  /** Resolves the text to run: the request's query, or the safelisted body of its persisted-query id. */
  const resolveQuery = async (request: SubscriptionRequest): Promise<{ query: string; sha256Hash?: string }> => {
    const hash = (request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    const sha256Hash = typeof hash === 'string' ? hash : undefined;
    const query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
    if (sha256Hash !== undefined && options.persistedQueries === 'off') {
      throw refuse(400, 'PERSISTED_QUERY_NOT_SUPPORTED', 'Persisted queries are not accepted here.');
    }
    if (query !== undefined) {
      if (sha256Hash !== undefined && sha256Hex(query) !== sha256Hash)
        throw refuse(400, 'BAD_REQUEST', "The persisted query's hash does not match its text.");
      return { query, ...(sha256Hash ? { sha256Hash } : {}) };
    }
    if (sha256Hash !== undefined) {
      const listed = options.safelist ? await options.safelist.cache.get(sha256Hash) : undefined;
      if (listed !== undefined) return { query: listed, sha256Hash };
      throw refuse(400, 'PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
    }
    throw refuse(400, 'BAD_REQUEST', 'The request has no query.');
  };

  return {
    /**
     * Verifies `Authorization: Bearer …` (header or connection_init payload): no value is
     * anonymous; anything else must verify, or UNAUTHENTICATED (WebSocket 4401, SSE 401).
     * An invalid token still costs its address a rate-limit token, as on the HTTP endpoint.
     */
    async authenticate(authorization: unknown, clientAddress: string): Promise<SubscriptionCaller> {
      try {
        if (authorization !== undefined && authorization !== null && typeof authorization !== 'string') {
          throw new AppError('UNAUTHENTICATED', 'The authorization must be "Bearer <token>".');
        }
        const token = parseBearerToken(authorization ?? undefined);
        if (token === null) return { token: null, viewer: null, validUntilMs: null, clientAddress };
        const { viewer, validUntilMs } = await options.verifier.verifyWithExpiry(token);
        return { token, viewer, validUntilMs, clientAddress };
      } catch (error) {
        await options.rateLimiter.checkRequest({ userId: null, address: clientAddress }).catch(() => null);
        throw toRefusal(error);
      }
    },

    /** Every per-subscription check, then the plan. Throws a {@link SubscriptionRefusal}. */
    async admit(caller: SubscriptionCaller, request: SubscriptionRequest, nowMs: number): Promise<AdmittedSubscription> {
      try {
        if (caller.validUntilMs !== null && nowMs > caller.validUntilMs) {
          throw new AppError('UNAUTHENTICATED', 'The access token has expired.');
        }
        await options.rateLimiter.checkRequest({ userId: caller.viewer?.id ?? null, address: caller.clientAddress });
        const { query, sha256Hash } = await resolveQuery(request);
        checkDocumentSize(query, options.limits, options.metrics);
        options.safelist?.check({ query, ...(sha256Hash ? { sha256Hash } : {}) });
        let document: DocumentNode;
        try {
          document = parse(query, { maxTokens: options.limits.maxTokens });
        } catch (error) {
          throw refuse(400, 'GRAPHQL_PARSE_FAILED', (error as Error).message);
        }
        const { schema } = options.planner.version;
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) {
          throw new SubscriptionRefusal(
            invalid.map((error) =>
              error.originalError instanceof AppError
                ? error
                : new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
            ),
            400,
          );
        }
        const requestedName = typeof request.operationName === 'string' ? request.operationName : undefined;
        const operation = getOperationAST(document, requestedName);
        if (!operation) throw refuse(400, 'BAD_REQUEST', 'The document names no operation to run (give operationName).');
        if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
          throw refuse(400, 'BAD_REQUEST', 'Only subscriptions are served here; send queries and mutations with a POST to /graphql.');
        }
        // The document's own name when the request gives none (metrics and logs name it).
        const operationName = requestedName ?? operation.name?.value;
        const variables =
          request.variables && typeof request.variables === 'object' && !Array.isArray(request.variables)
            ? (request.variables as Record<string, unknown>)
            : {};
        const cost = operationCost(schema, document, operation, variables, options.limits.assumedListSize);
        if (cost > options.limits.maxCost) {
          options.metrics.rejectedOperations.inc({ code: 'OPERATION_TOO_COSTLY' });
          throw new AppError('OPERATION_TOO_COSTLY', `The operation's estimated cost is ${cost}; the limit is ${options.limits.maxCost}.`, {
            limit: options.limits.maxCost,
            cost,
          });
        }
        const key = `${operationName ?? ''}\n${query}`;
        return { query, document, operationName, variables, key, plan: options.planner.plan(document, operationName, key) };
      } catch (error) {
        throw toRefusal(error);
      }
    },
  };
}

export type SubscriptionAdmission = ReturnType<typeof createSubscriptionAdmission>;
