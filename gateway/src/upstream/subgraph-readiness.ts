import { request, type Agent } from './undici-core';

/**
 * A subgraph "answers" when its own /readyz says so (its database is reachable and
 * migrated). Resolves or rejects with a short reason.
 */
export async function checkSubgraphReady(graphqlUrl: string, agent: Agent, timeoutMs = 1_500): Promise<void> {
  const readyz = new URL('/readyz', graphqlUrl);
  let status: number;
  try {
    const response = await request(readyz, { dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) });
    status = response.statusCode;
    await response.body.dump();
  } catch (error) {
    throw new Error(`unreachable (${(error as Error).message})`, { cause: error });
  }
  if (status !== 200) throw new Error(`not ready (HTTP ${status})`);
}
