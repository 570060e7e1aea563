import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { AppError, serviceUnavailable } from '../errors/app-error';
import { BREAKER_STATE_VALUES, type GrpcMetrics } from '../metrics/grpc-metrics';

/** Settings for calls to one downstream service. Defaults in parentheses. */
export interface ResilienceOptions {
  /** Name of the downstream, for logs and errors (e.g. `users`). */
  downstream: string;
  logger: Logger;
  /** Attempts of an idempotent call, the first included (3). Writes always get exactly one. */
  maxAttempts?: number;
  /** First retry delay in ms (50); later ones grow exponentially with jitter up to `maxRetryDelayMs`. */
  baseRetryDelayMs?: number;
  /** Longest retry delay in ms (500). */
  maxRetryDelayMs?: number;
  /**
   * Retry budget: retries may add at most this fraction of the calls made (0.2), plus a small
   * reserve, so a struggling downstream is never hit by a retry storm.
   */
  retryBudgetRatio?: number;
  /** Consecutive transport failures that open the breaker (5). */
  breakerFailures?: number;
  /** How long the breaker stays open before letting one probe call through, ms (3000). */
  breakerHalfOpenAfterMs?: number;
  /** Called when the breaker changes state. */
  onBreakerStateChange?: (state: 'closed' | 'open' | 'half-open') => void;
  /** Where the breaker's state is published (`grpc_client_breaker_state{downstream}`). */
  metrics?: Pick<GrpcMetrics, 'breakerState'>;
}

/** Only transport failures (unreachable, deadline) count against a downstream; its answers, even NOT_FOUND, do not. */
function isTransportFailure(error: unknown): boolean {
  return error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE';
}

function isOpenCircuit(error: unknown): boolean {
  return error instanceof AppError && error.cause instanceof BrokenCircuitError;
}

/**
 * A token bucket of retries: each call deposits `ratio` tokens, each retry spends one. The
 * reserve lets a quiet service still retry an occasional blip.
 */
class RetryBudget {
  private tokens: number;
  constructor(
    private readonly ratio: number,
    private readonly reserve = 10,
  ) {
    this.tokens = reserve;
  }
  deposit(): void {
    this.tokens = Math.min(this.reserve, this.tokens + this.ratio);
  }
  trySpend(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface ResilientCaller {
  /** A read that may be repeated safely: retried on transport failures (within budget), behind the breaker. */
  idempotent<T>(call: () => Promise<T>): Promise<T>;
  /** A call with side effects: never retried, behind the breaker. */
  once<T>(call: () => Promise<T>): Promise<T>;
  /** The breaker's state, for health and metrics. */
  state(): 'closed' | 'open' | 'half-open';
}

const STATE_NAMES: Record<CircuitState, 'closed' | 'open' | 'half-open'> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Guards the calls to one downstream service with a circuit breaker and, for idempotent
 * calls, retries with exponential backoff and jitter (cockatiel). While the breaker is open,
 * calls fail at once with SERVICE_UNAVAILABLE (retryable) instead of waiting on a dead peer;
 * after `breakerHalfOpenAfterMs` one probe goes through and its success closes it again.
 */
export function createResilientCaller(options: ResilienceOptions): ResilientCaller {
  const { downstream, logger } = options;
  const budget = new RetryBudget(options.retryBudgetRatio ?? 0.2);
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleWhen(isTransportFailure), {
    halfOpenAfter: options.breakerHalfOpenAfterMs ?? 3_000,
    breaker: new ConsecutiveBreaker(options.breakerFailures ?? 5),
  });
  options.metrics?.breakerState.set({ downstream }, BREAKER_STATE_VALUES.closed);
  breaker.onStateChange((state) => {
    const name = STATE_NAMES[state];
    const log = name === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger);
    log({ downstream, breaker: name }, `circuit breaker to ${downstream} is ${name}`);
    options.metrics?.breakerState.set({ downstream }, BREAKER_STATE_VALUES[name]);
    options.onBreakerStateChange?.(name);
  });
  const retries: RetryPolicy = retry(
    // An open breaker is an answer, not a blip: never retried.
    handleWhen((error) => isTransportFailure(error) && !isOpenCircuit(error) && budget.trySpend()),
    {
      maxAttempts: Math.max(0, (options.maxAttempts ?? 3) - 1),
      backoff: new ExponentialBackoff({ initialDelay: options.baseRetryDelayMs ?? 50, maxDelay: options.maxRetryDelayMs ?? 500 }),
    },
  );

  const throughBreaker = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await breaker.execute(call);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw serviceUnavailable(`The ${downstream} service is unavailable, try again shortly.`, { cause: error });
      }
      throw error;
    }
  };

  return {
    idempotent(call) {
      budget.deposit();
      return retries.execute(() => throughBreaker(call));
    },
    once(call) {
      budget.deposit();
      return throughBreaker(call);
    },
    state: () => STATE_NAMES[breaker.state],
  };
}
