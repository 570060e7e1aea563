import { useEffect, useState } from 'react';
import { Link } from '../app/router';
import type { ErrorDescription } from './describe-error';

/**
 * A failed request, said plainly (role="alert": screen readers announce it), with what can be
 * done: try again (after the Retry-After wait, counted down), or sign in again.
 */
export function ErrorNotice({ error, onRetry }: { error: ErrorDescription; onRetry?: () => void }) {
  const [waitSeconds, setWaitSeconds] = useState(error.retryAfterSeconds ?? 0);
  useEffect(() => {
    setWaitSeconds(error.retryAfterSeconds ?? 0);
  }, [error]);
  useEffect(() => {
    if (waitSeconds <= 0) return;
    const timer = window.setTimeout(() => setWaitSeconds((seconds) => seconds - 1), 1000);
    return () => window.clearTimeout(timer);
  }, [waitSeconds]);
  return (
    <div className="notice notice-error" role="alert" data-error-code={error.code}>
      <p>{error.message}</p>
      {error.retryable && onRetry ? (
        <button type="button" onClick={onRetry} disabled={waitSeconds > 0}>
          {waitSeconds > 0 ? `Try again in ${waitSeconds} s` : 'Try again'}
        </button>
      ) : null}
      {error.signIn ? <Link to={`/sign-in?next=${encodeURIComponent(window.location.pathname)}`}>Sign in again</Link> : null}
    </div>
  );
}
