import type { ApolloLink } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { getOperationAST, type DocumentNode } from 'graphql';

/** Operation name → persisted-query id, from clients/persisted-query-manifest.json (vite.config.ts). */
export type PersistedQueryIds = Readonly<Record<string, string>>;

/** Thrown before anything is sent when an operation is not in the manifest the app was built with. */
export class UnlistedOperationError extends Error {
  override readonly name = 'UnlistedOperationError';
}

/**
 * Trusted documents. A production build (`ids` given) sends only each operation's id, looked
 * up by name in the manifest the gateway's safelist is built from, and never falls back to
 * sending the text: an operation the gateway does not list fails here, loudly, instead of being
 * refused there. Development (`ids` null) uses automatic persisted queries: the hash of the text,
 * which the development gateway (PERSISTED_QUERIES=apq) learns on first sight.
 */
export function trustedDocumentsLink(ids: PersistedQueryIds | null): ApolloLink {
  if (!ids) {
    return new PersistedQueryLink({ sha256: sha256Hex });
  }
  return new PersistedQueryLink({
    generateHash: (document: DocumentNode) => {
      const name = getOperationAST(document)?.name?.value;
      const id = name ? ids[name] : undefined;
      if (!id)
        throw new UnlistedOperationError(
          `Operation ${name ?? '(unnamed)'} is not in the persisted-query manifest: run npm run persisted-queries and rebuild.`,
        );
      return id;
    },
    // The safelist has no way to learn a document: never send the text, never stop sending ids.
    retry: () => false,
    disable: () => false,
  });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
