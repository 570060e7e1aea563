import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';

type OperationContext = ReturnType<typeof buildOperationContext>;

/** One supergraph version, as subscriptions need it. */
export interface SupergraphVersion {
  /** Increases with each version applied. */
  id: number;
  /** The API schema clients' documents are validated against (graphql-js). */
  schema: GraphQLSchema;
  apiSchema: Schema;
  supergraphSchema: GraphQLSchema;
  /** Routing URL of each subgraph, by name. */
  subgraphUrls: ReadonlyMap<string, string>;
}

/**
 * How a subscription runs: `primary` is the subscription sent to the subgraph that owns the
 * root field; for each of its events, `rest` (entity fetches to other subgraphs, absent when
 * the owning subgraph has everything) runs through the gateway's ordinary query-plan executor.
 */
export interface SubscriptionPlan {
  version: SupergraphVersion;
  primary: FetchNode;
  rest: PlanNode | undefined;
  operationContext: OperationContext;
  /** Routing URL of the primary's subgraph. */
  primaryUrl: string;
}

/** Plans kept per supergraph version (documents are few: an app's operations). */
const MAX_CACHED_PLANS = 500;

/**
 * Plans subscriptions against the supergraph the gateway serves, with Apollo's own query
 * planner (@apollo/query-planner over @apollo/federation-internals, as @apollo/gateway plans
 * queries): Apollo Gateway refuses to execute the `Subscription` node its planner makes, so
 * the gateway runs that node itself (federated-subscription.ts). `update` takes each new
 * supergraph version the gateway applied.
 */
export class SubscriptionPlanner {
  private current: SupergraphVersion | undefined;
  private planner: QueryPlanner | undefined;
  private readonly plans = new Map<string, SubscriptionPlan>();

  /** Builds the planner of a supergraph version the gateway has applied. */
  update(supergraphSdl: string): SupergraphVersion {
    const supergraph = Supergraph.build(supergraphSdl);
    const apiSchema = supergraph.apiSchema();
    this.planner = new QueryPlanner(supergraph);
    this.plans.clear();
    this.current = {
      id: (this.current?.id ?? 0) + 1,
      schema: apiSchema.toGraphQLJSSchema(),
      apiSchema,
      supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      subgraphUrls: new Map(supergraph.subgraphsMetadata().map(({ name, url }: { name: string; url: string }) => [name, url])),
    };
    return this.current;
  }

  get version(): SupergraphVersion {
    if (!this.current) throw new Error('no supergraph loaded yet');
    return this.current;
  }

  /**
   * The plan of a validated subscription document. `key` identifies the document (its text
   * and operation name): plans are cached per version.
   */
  plan(document: DocumentNode, operationName: string | undefined, key: string): SubscriptionPlan {
    const version = this.version;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const operation = operationFromDocument(version.apiSchema, document, { operationName });
    const queryPlan = this.planner!.buildQueryPlan(operation);
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') throw new Error('the operation is not a subscription');
    const plan: SubscriptionPlan = {
      version,
      primary: node.primary,
      rest: node.rest,
      operationContext: buildOperationContext({ schema: version.schema, operationDocument: document, operationName }),
      primaryUrl: version.subgraphUrls.get(node.primary.serviceName) ?? '',
    };
    if (this.plans.size >= MAX_CACHED_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }
}

/** Whether a subscription planned on one version can go on under another: same subgraph, URL and upstream operation. */
export function samePrimary(before: SubscriptionPlan, after: SubscriptionPlan): boolean {
  return (
    before.primary.serviceName === after.primary.serviceName &&
    before.primary.operation === after.primary.operation &&
    before.primaryUrl === after.primaryUrl
  );
}
