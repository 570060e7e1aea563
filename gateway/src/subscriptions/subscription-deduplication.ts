import { stripIgnoredCharacters } from 'graphql';
import type { FederatedSubscription } from './federated-subscription';
import type { AdmittedSubscription, SubscriptionCaller } from './subscription-admission';

export interface SubscriptionDeduplicationOptions {
  /** Identical subscriptions of one caller share one upstream subscription. Default true (SUBSCRIPTION_DEDUPLICATION). */
  enabled: boolean;
}

/** Object keys sorted at every level, so that `{a, b}` and `{b, a}` give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What makes two subscriptions identical: the same caller as the subgraph sees it (the same
 * verified token; anonymous callers are one caller, never one with a token), the same
 * document without its whitespace and comments, the same operation name and variables.
 * (The supergraph version is compared when joining: a subscription planned on an older version
 * starts its own.)
 */
export function subscriptionKey(caller: SubscriptionCaller, admitted: AdmittedSubscription): string {
  return JSON.stringify([
    caller.token === null ? null : `Bearer ${caller.token}`,
    admitted.operationName ?? null,
    stripIgnoredCharacters(admitted.query),
    canonicalJson(admitted.variables),
  ]);
}

/**
 * Subscription deduplication (as Apollo Router's): identical subscriptions of one caller
 * (`subscriptionKey`) on the same supergraph version share one federated subscription — one
 * subscription on the owning subgraph and one execution of the rest of the plan per event,
 * whose result goes to each subscriber (federated-subscription.ts). Each subscriber keeps its
 * own buffer, caps, end and metrics (subscription-service.ts). A subscription joins only one
 * that is still running; the entry goes when its upstream subscription ends.
 */
export function createSubscriptionDeduplication(options: SubscriptionDeduplicationOptions) {
  const running = new Map<string, FederatedSubscription>();

  return {
    /**
     * The running federated subscription identical to this one, or a new one from `start`
     * (given the callback to run when it ends). Attach to it at once.
     */
    acquire(
      caller: SubscriptionCaller,
      admitted: AdmittedSubscription,
      start: (onFinished: () => void) => FederatedSubscription,
    ): { federated: FederatedSubscription; shared: boolean } {
      if (!options.enabled) return { federated: start(() => undefined), shared: false };
      const key = subscriptionKey(caller, admitted);
      const existing = running.get(key);
      if (existing && !existing.finished && existing.plan.version.id === admitted.plan.version.id) {
        return { federated: existing, shared: true };
      }
      // A newer version than the running one's (or the reverse, in a reload's race): this one
      // starts its own, and later identical ones join it; the other goes on for its subscribers.
      const federated = start(() => {
        if (running.get(key) === federated) running.delete(key);
      });
      running.set(key, federated);
      return { federated, shared: false };
    },

    /** Federated subscriptions that identical ones may join now. */
    size: () => running.size,
  };
}

export type SubscriptionDeduplication = ReturnType<typeof createSubscriptionDeduplication>;
