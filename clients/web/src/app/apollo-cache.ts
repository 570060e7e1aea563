import { InMemoryCache } from '@apollo/client';

/**
 * The app's normalized cache. Shared with `npm run persisted-queries`, which runs each
 * operation through an Apollo Client with this cache to record the exact text the app sends
 * (the cache adds `__typename` to every selection), so manifest and app agree byte for byte.
 */
export function createCache(): InMemoryCache {
  return new InMemoryCache({ typePolicies: CACHE_TYPE_POLICIES });
}

/**
 * The cache's type policies, as plain data: `npm run persisted-queries` (CommonJS, outside the
 * app) builds its own InMemoryCache from them, so both send the same text.
 */
export const CACHE_TYPE_POLICIES = {
  // Products are identified by sku (the schema's @key), not by an `id`.
  Product: { keyFields: ['sku'] },
};
