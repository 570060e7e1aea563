import { ClientError, GraphQLClient } from 'graphql-request';

export interface GraphQLTestError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLTestResponse<T> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLTestError[];
  headers: Headers;
}

/**
 * A real GraphQL client (graphql-request) that never throws on GraphQL errors: tests assert
 * on status, data and errors alike. `token` is sent as a bearer token.
 */
export function graphqlClient(url: string) {
  const client = new GraphQLClient(url, { errorPolicy: 'all' });
  return async function send<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    options: { token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<GraphQLTestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    try {
      const response = await client.rawRequest<T>(query, variables, headers);
      return {
        status: response.status,
        data: response.data,
        errors: (response.errors as GraphQLTestError[] | undefined) ?? [],
        headers: response.headers,
      };
    } catch (error) {
      if (error instanceof ClientError) {
        return {
          status: error.response.status,
          data: error.response.data as T | undefined,
          errors: (error.response.errors as GraphQLTestError[] | undefined) ?? [],
          headers: error.response.headers,
        };
      }
      throw error;
    }
  };
}

export type GraphQLSend = ReturnType<typeof graphqlClient>;

/** The codes of a response's errors, for compact assertions. */
export function errorCodes(response: { errors: GraphQLTestError[] }): (string | undefined)[] {
  return response.errors.map((error) => error.extensions?.code);
}
