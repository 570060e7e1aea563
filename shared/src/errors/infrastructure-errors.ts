import { AppError, serviceUnavailable } from './app-error';

/** Prisma error codes that mean "the database cannot be reached or is overloaded right now". */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** Driver-adapter error kinds with the same meaning. */
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
/** PostgreSQL SQLSTATEs: admin/crash shutdown, cannot connect now, connection exceptions, too many connections. */
const POSTGRES_UNAVAILABLE = /^(57P0[123]|08\d{3}|53300)$/;
/** Socket errors of node-postgres. */
const SOCKET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
const MESSAGE_UNAVAILABLE =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection|terminating connection due to administrator command|the database system is (starting up|shutting down)/i;

/**
 * A transaction lost to a concurrent one: PostgreSQL's deadlock and serialization failures
 * (40P01, 40001), which Prisma reports as P2034. Nothing was written; the same request again
 * will most likely succeed.
 */
const PRISMA_CONFLICT = 'P2034';
const POSTGRES_CONFLICT = /^(40P01|40001)$/;

function isTransactionConflict(error: Record<string, unknown>): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && (code === PRISMA_CONFLICT || POSTGRES_CONFLICT.test(code))) return true;
  const adapter = (error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
  return Boolean(adapter?.originalCode && POSTGRES_CONFLICT.test(adapter.originalCode));
}

function isUnavailable(error: Record<string, unknown>): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && (PRISMA_UNAVAILABLE.has(code) || SOCKET_UNAVAILABLE.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
  const adapter = (error.meta as { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } } | undefined)
    ?.driverAdapterError?.cause;
  if (adapter?.kind && ADAPTER_UNAVAILABLE.has(adapter.kind)) return true;
  if (adapter?.originalCode && POSTGRES_UNAVAILABLE.test(adapter.originalCode)) return true;
  return typeof error.message === 'string' && MESSAGE_UNAVAILABLE.test(error.message);
}

/**
 * Recognises failures of infrastructure (the database being unreachable, restarting or out of
 * connections, or a transaction lost to a concurrent one) anywhere in an error's cause chain,
 * and names them: they become
 * SERVICE_UNAVAILABLE with `retryable: true` instead of a masked INTERNAL_SERVER_ERROR, so
 * clients know to try again. Everything else: undefined.
 */
export function translateInfrastructureError(error: unknown): AppError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
    if (current instanceof AppError) return undefined;
    if (isUnavailable(current as Record<string, unknown>)) {
      return serviceUnavailable('The database is unavailable, try again shortly.', { cause: error });
    }
    if (isTransactionConflict(current as Record<string, unknown>)) {
      return serviceUnavailable('The request collided with a concurrent one and changed nothing; try again.', { cause: error });
    }
    const next = current as { originalError?: unknown; cause?: unknown };
    current = next.originalError ?? next.cause;
  }
  return undefined;
}
