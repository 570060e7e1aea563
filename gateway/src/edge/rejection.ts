import { HeaderMap } from '@apollo/server';
import type { AppError } from '@fedshop/shared/errors';
import { GraphQLError } from 'graphql';

/**
 * A request refused at the edge, as Apollo Server answers it: the HTTP status and headers
 * ride in `extensions.http` (Apollo applies and strips them), the AppError stays attached so
 * the error formatter — the one place errors become GraphQL — keeps its code and details.
 */
export function rejection(error: AppError, status: number, headers: Record<string, string> = {}): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, http: { status, headers: new HeaderMap(Object.entries(headers)) } },
  });
}
