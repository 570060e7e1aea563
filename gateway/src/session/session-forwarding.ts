import {
  REFRESH_TOKEN_EXPIRES_HEADER,
  REFRESH_TOKEN_HEADER,
  SET_REFRESH_TOKEN_HEADER,
  type SessionCookieChange,
} from '@fedshop/shared/auth';
import { Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** Root mutation fields authenticated by the refresh token (users subgraph). */
const SESSION_FIELDS = new Set(['refreshSession', 'signOut']);

function selectsSessionField(selectionSet: SelectionSetNode): boolean {
  return selectionSet.selections.some((selection) =>
    selection.kind === Kind.FIELD
      ? SESSION_FIELDS.has(selection.name.value)
      : selection.kind === Kind.INLINE_FRAGMENT && selectsSessionField(selection.selectionSet),
  );
}

/**
 * The refresh-token header a subgraph mutation gets: only when the client's operation is a
 * mutation selecting `refreshSession` or `signOut` and the request may use its cookie. Every
 * other subgraph call never sees the long-lived credential.
 */
export function sessionRequestHeaders(
  clientOperation: OperationDefinitionNode | undefined,
  subgraphOperationIsMutation: boolean,
  refreshToken: string | null,
): Record<string, string> {
  if (!refreshToken || !subgraphOperationIsMutation || clientOperation?.operation !== 'mutation') return {};
  return selectsSessionField(clientOperation.selectionSet) ? { [REFRESH_TOKEN_HEADER]: refreshToken } : {};
}

/** What a subgraph's answer says about the session cookie, if anything. */
export function sessionChangeOf(headers: { get(name: string): string | null }): SessionCookieChange | null {
  const expires = headers.get(REFRESH_TOKEN_EXPIRES_HEADER);
  if (expires === null) return null;
  const token = headers.get(SET_REFRESH_TOKEN_HEADER);
  const seconds = Number(expires);
  if (token && Number.isFinite(seconds) && seconds > 0) return { kind: 'set', token, expiresAt: new Date(seconds * 1000) };
  return { kind: 'clear' };
}
