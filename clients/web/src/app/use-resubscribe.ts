import { useEffect } from 'react';

/**
 * A subscription ends when its access token expires (the gateway sends UNAUTHENTICATED and
 * closes the connection) or when the gateway restarts; this starts it again, on a new
 * connection whose `connection_init` carries the session's current token (apollo-client.ts).
 * Once per error, a second later, so a refused subscription is not retried in a tight loop.
 */
export function useResubscribeOnExpiry(subscription: { error?: unknown; restart: () => void }): void {
  const { error, restart } = subscription;
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(restart, 1_000);
    return () => clearTimeout(timer);
  }, [error, restart]);
}
