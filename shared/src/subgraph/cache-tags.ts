import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/**
 * Request header with which the gateway asks a subgraph for the cache tags of its answer
 * (value `1`). Without it a subgraph computes none, so callers that do not cache (and the
 * benchmark's peer gateways) pay nothing.
 */
export const CACHE_TAGS_REQUEST_HEADER = 'fedshop-cache-tags';

/** The answer's `extensions` entry listing its cache tags (strings). */
export const CACHE_TAGS_EXTENSION = 'cacheTags';

/**
 * The tag of one entity, `<Type>:<key>` (e.g. `Product:KB-1`): a cached response that shows
 * any field of that entity carries it, and a change to the entity purges every such response.
 */
export const entityTag = (type: string, key: string) => `${type}:${key}`;

/** The tag of a root list whose membership can change (e.g. `Query.products` when a product is created). */
export const rootFieldTag = (type: 'Query', field: string) => `${type}.${field}`;

const explicitTags = new WeakMap<object, Set<string>>();

/**
 * Declares what a write invalidates (resolvers of mutations call it): the gateway that
 * executed the mutation purges responses carrying any of these tags before it answers.
 * A no-op unless the gateway asked for tags.
 */
export function invalidateCacheTags(context: object, tags: readonly string[]): void {
  const set = explicitTags.get(context);
  if (set) for (const tag of tags) set.add(tag);
}

/**
 * Tags each answer with the entities it shows, for the gateway's response cache (README,
 * Response cache). For queries: `<Type>:<key>` of every object of an entity type in
 * `entityKeys` (type name → key field) a field was resolved on, and `Query.<field>` of every
 * root field. For mutations: only what the resolvers declared with {@link invalidateCacheTags}
 * (an order shows products, but placing one changes nothing cacheable about them).
 */
export function cacheTagsPlugin<TContext extends BaseContext>(entityKeys: Record<string, string>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      if (request.http?.headers.get(CACHE_TAGS_REQUEST_HEADER) !== '1') return;
      const tags = new Set<string>();
      explicitTags.set(contextValue, tags);
      return {
        async executionDidStart({ operation }) {
          if (operation.operation !== 'query') return;
          // Each entity object is tagged once, however many of its fields are resolved.
          const seen = new WeakSet<object>();
          return {
            willResolveField({ source: resolvedSource, info }) {
              // The parent object being resolved: a plain row of the subgraph's own (unknown here).
              const source: unknown = resolvedSource;
              if (!info.path.prev) {
                tags.add(rootFieldTag('Query', info.fieldName));
                return;
              }
              const keyField = entityKeys[info.parentType.name];
              if (!keyField || typeof source !== 'object' || source === null || seen.has(source)) return;
              seen.add(source);
              const key = (source as Record<string, unknown>)[keyField];
              if (typeof key === 'string') tags.add(entityTag(info.parentType.name, key));
            },
          };
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || tags.size === 0) return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, [CACHE_TAGS_EXTENSION]: [...tags] };
        },
      };
    },
  };
}
