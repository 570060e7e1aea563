import type { ScalePlatform } from './scale-platform';

/** The verifiers' pause between JWKS fetches (jose's cooldown in shared/src/auth/token-verifier.ts), ms. */
export const JWKS_REFETCH_PAUSE_MS = 30_000;

export interface FaultScheduleOptions {
  /** Pause between one fault and the next, ms: the load runs on in between. */
  gapMs: number;
  /** Called once every users replica signs with the new key (step 2 of the rotation done). */
  onRotated?: () => Promise<void>;
  signal?: AbortSignal;
}

/** How long a killed replica stays down: past HAProxy's detection (2 failed checks, 500 ms apart). */
const DOWN_MS = 2_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The index of the first slot with a running replica (rollouts move replicas between slots). */
function firstRunning(platform: ScalePlatform, service: 'gateway' | 'users' | 'orders'): number {
  const index = platform.sets[service].slots.findIndex((slot) => !slot.spare && slot.replica?.running);
  if (index < 0) throw new Error(`no ${service} replica is running`);
  return index;
}

/**
 * What a cluster goes through, while the load runs, as three tracks at once (each service's
 * trouble is its own; one replica of a service is disturbed at a time):
 * - users: a rolling update publishing the next signing key (rotation step 1), a replica
 *   SIGKILLed and restarted, and a second rolling update signing with the new key (step 2,
 *   at least the verifiers' refetch pause after step 1);
 * - gateway and orders: a replica SIGKILLed and restarted, then one replaced by a rolling update
 *   (SIGTERM after it left the balancer). Killing orders replicas kills outbox relays mid-batch;
 *   killing users replicas kills consumers holding unacknowledged events.
 */
export async function runFaultSchedule(platform: ScalePlatform, options: FaultScheduleOptions): Promise<void> {
  const { keys } = platform;
  const gap = async (times = 1) => {
    if (options.signal?.aborted) throw new Error('the fault schedule was stopped');
    await sleep(options.gapMs * times);
  };
  const users = async () => {
    await gap();
    await platform.sets.users.rollOut({ JWT_ADDITIONAL_PUBLIC_KEYS: keys.next.publicPem });
    const publishedAt = Date.now();
    await gap();
    await platform.sets.users.crashAndRestart(firstRunning(platform, 'users'), DOWN_MS);
    // A verifier that fetched the JWKS just before every replica published the next key may
    // not fetch again for this long: only then may any replica sign with it (README, Security).
    await sleep(Math.max(0, publishedAt + JWKS_REFETCH_PAUSE_MS + 1_000 - Date.now()));
    await platform.sets.users.rollOut({ JWT_PRIVATE_KEY: keys.next.privatePem, JWT_ADDITIONAL_PUBLIC_KEYS: keys.initial.publicPem });
    await options.onRotated?.();
  };
  const crashThenRoll = async (service: 'gateway' | 'orders', offset: number) => {
    await gap(offset);
    await platform.sets[service].crashAndRestart(firstRunning(platform, service), DOWN_MS);
    await gap(2);
    await platform.sets[service].rollingReplace(firstRunning(platform, service));
  };
  await Promise.all([users(), crashThenRoll('gateway', 2), crashThenRoll('orders', 3)]);
}
