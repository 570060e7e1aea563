import { InMemoryCache } from '@apollo/client';

/**
 * The app's normalized cache. Shared with `npm run persisted-queries`, which runs each
 * operation through an Apollo Client with this cache to record the exact text the app sends
 * (the cache adds `__typename` to every selection), so manifest and app agree byte for byte.
 */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      // Products are identified by sku (the schema's @key), not by an `id`.
      Product: { keyFields: ['sku'] },
    },
  });
}
