import { randomBytes } from 'node:crypto';
import { runFaultSchedule } from './fault-schedule';
import type { ServerStat } from './haproxy';
import {
  checkShopInvariants,
  deleteRunStream,
  kidOf,
  probeSharedApq,
  probeSharedRateLimit,
  probeTokensEverywhere,
  waitForEventsDrained,
  watchPublishes,
  type Check,
} from './scale-checks';
import { ShopLoad, tokenKid, type LoadReport } from './scale-load';
import { startScalePlatform, type FaultEvent, type ScalePlatform } from './scale-platform';
import type { ScaledService } from './replica';

export const NORMAL_PRODUCTS = ['SC-KEYBOARD', 'SC-MOUSE', 'SC-CABLE', 'SC-DOCK', 'SC-HEADSET', 'SC-STAND'];
export const HOT_PRODUCTS = ['SC-HOT-CONSOLE', 'SC-HOT-SNEAKER'];

export interface ScaleScenarioOptions {
  replicas: Record<ScaledService, number>;
  customers: number;
  /** Mean pause between one customer's requests, ms. */
  thinkMs: number;
  /** Units of each hot product: fewer than the load wants, so they sell out under contention. */
  hotStock: number;
  /** Pause between faults, ms. */
  faultGapMs: number;
  /** Load after the last fault, ms. */
  tailMs: number;
  dir: string;
  redisUrl: string;
  natsUrl: string;
  /** RATE_LIMIT_AUTH_PER_MIN, the budget the probe checks. */
  authPerMinute: number;
  log?: (line: string) => void;
}

export interface ScaleScenarioReport {
  checks: Check[];
  load: LoadReport;
  events: FaultEvent[];
  haproxy: ServerStat[];
  /** Token key ids the customers' sign-ins returned, with the two keys' ids named. */
  keyIds: { initial: string; next: string };
  /** What the replicas logged at error level, every replica that ran included. */
  errorLines: string[];
  durationMs: number;
}

/**
 * HAProxy's health checks (`GET /readyz`) saw every SIGKILLed replica go DOWN and come back,
 * and at the end every running replica is UP behind each of its backends, every empty slot out.
 */
function checkBalancer(platform: ScalePlatform, stats: ServerStat[]): Check {
  const killed = platform.events.flatMap((event) => /^SIGKILL (\S+)$/.exec(event.what)?.slice(1) ?? []);
  const notSeenDown = stats
    .filter((stat) => killed.includes(stat.server) && stat.checkDowns === 0)
    .map((stat) => `${stat.backend}/${stat.server}`);
  const wrongState = Object.values(platform.sets).flatMap((set) =>
    set.slots.flatMap((slot) =>
      stats
        .filter((stat) => stat.server === slot.name)
        .filter((stat) => (slot.replica?.running && !slot.spare ? stat.status !== 'UP' : stat.status !== 'MAINT'))
        .map((stat) => `${stat.backend}/${stat.server} ${stat.status}`),
    ),
  );
  return {
    name: "HAProxy's /readyz checks took each killed replica out and brought it back; at the end each replica is UP, each empty slot out",
    ok: killed.length > 0 && notSeenDown.length === 0 && wrongState.length === 0,
    detail:
      `killed ${killed.join(', ')}; not seen down: ${notSeenDown.join(', ') || 'none'}; in the wrong state: ${wrongState.join(', ') || 'none'}. ` +
      stats
        .map(
          (stat) =>
            `${stat.backend}/${stat.server} ${stat.status}: down ${stat.checkDowns}×, retries ${stat.retries}, redispatched ${stat.redispatches}, 5xx ${stat.http5xx}`,
        )
        .join('; '),
  };
}

/** Deletes the run's rate-limit buckets and APQ registrations from the shared Redis. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const { default: Redis } = require('ioredis') as typeof import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function cleanUp(platform: ScalePlatform, options: { natsUrl: string; redisUrl: string }): Promise<void> {
  await platform.stop();
  await deleteRunStream(options.natsUrl, platform.natsNamespace).catch(() => undefined);
  await deleteRedisKeys(options.redisUrl, platform.redisPrefix).catch(() => undefined);
}

/**
 * The scale-out proof: the platform with several replicas per service behind HAProxy, a mixed
 * load through it, the fault schedule during the load (kills, rolling updates, a key
 * rotation), then every invariant and the cross-replica probes.
 */
export async function runScaleScenario(options: ScaleScenarioOptions): Promise<ScaleScenarioReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const run = randomBytes(3).toString('hex');
  const platform = await startScalePlatform({
    replicas: options.replicas,
    dir: options.dir,
    redisUrl: options.redisUrl,
    natsUrl: options.natsUrl,
    rateLimits: { auth: options.authPerMinute },
  });
  log(
    `platform up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(options.replicas)} replicas behind HAProxy at ${platform.gatewayUrl}`,
  );
  const load = new ShopLoad({
    gatewayUrl: platform.gatewayUrl,
    customers: options.customers,
    // Until the faults are over (stopped through run()'s signal); this is only a backstop.
    durationMs: 30 * 60_000,
    thinkMs: options.thinkMs,
    shipEveryMs: 400,
    admin: platform.admin,
    products: { normal: NORMAL_PRODUCTS, hot: HOT_PRODUCTS },
    run,
    startedAt: platform.startedAt,
  });
  try {
    const initialStock = await load.stockCatalog({ normal: 1_000_000, hot: options.hotStock });
    await load.signUpCustomers();
    // Signed with the first key: still to be accepted everywhere after the rotation.
    const firstTokens = new Map(load.report.customers.map((customer) => [customer.index, customer.token]));
    log(`${load.report.customers.length} customers signed up; load and faults start`);

    const publishWatch = await watchPublishes(options.natsUrl, platform.natsNamespace, platform.startedAt);
    const stopLoad = new AbortController();
    const running = load.run(stopLoad.signal);
    let newKeyToken: { index: number; token: string } | undefined;
    await runFaultSchedule(platform, {
      gapMs: options.faultGapMs,
      onRotated: async () => {
        const customer = load.report.customers[0]!;
        newKeyToken = { index: customer.index, token: await load.freshToken(customer) };
        log('key rotation done: every users replica signs with the new key');
      },
    }).catch((error: unknown) => {
      stopLoad.abort();
      throw error;
    });
    log('faults done; load runs on a little');
    await new Promise((resolve) => setTimeout(resolve, options.tailMs));
    stopLoad.abort();
    await running;
    await load.settle();
    const drained = await waitForEventsDrained(platform, options.natsUrl, 60_000);
    log(`load stopped; events drained: ${JSON.stringify(drained)}`);

    const checks = await checkShopInvariants(platform, load.report, initialStock, options.natsUrl, await publishWatch.stop());
    checks.push(await probeSharedRateLimit(platform, options.authPerMinute, run));
    checks.push(await probeSharedApq(platform, run));
    const keyIds = { initial: await kidOf(platform.keys.initial.publicPem), next: await kidOf(platform.keys.next.publicPem) };
    const prober = load.report.customers.find((customer) =>
      [...load.report.orders.values()].some((order) => order.customer === customer.index && order.outcome === 'accepted'),
    );
    const probeOrder = [...load.report.orders.values()].find((order) => order.customer === prober?.index && order.outcome === 'accepted');
    const oldToken = prober ? firstTokens.get(prober.index)! : '';
    const freshToken = prober ? await load.freshToken(prober) : '';
    checks.push({
      name: 'the rotation moved signing to the new key (sign-ins after it carry its kid; the first tokens the old one)',
      ok:
        !!newKeyToken &&
        tokenKid(newKeyToken.token) === keyIds.next &&
        tokenKid(freshToken) === keyIds.next &&
        tokenKid(oldToken) === keyIds.initial,
      detail: `token kids seen in sign-ins: ${JSON.stringify(load.report.tokenKids)} (old ${keyIds.initial.slice(0, 8)}…, new ${keyIds.next.slice(0, 8)}…)`,
    });
    checks.push(
      prober && probeOrder
        ? await probeTokensEverywhere(
            platform,
            prober,
            [
              { label: 'old-key token', token: oldToken },
              { label: 'new-key token', token: freshToken },
            ],
            probeOrder.orderId!,
          )
        : { name: 'tokens accepted everywhere after the rotation', ok: false, detail: 'no customer had an accepted order to probe with' },
    );
    const haproxy = await platform.haproxy.stats();
    checks.push(checkBalancer(platform, haproxy));
    const errorLines = Object.values(platform.sets).flatMap((set) =>
      set.history.flatMap((replica) =>
        replica
          .errorLines()
          .map(
            (line) => `${replica.name}: ${String(line.msg)}${line.err ? ` (${String((line.err as { message?: string }).message)})` : ''}`,
          ),
      ),
    );
    return { checks, load: load.report, events: platform.events, haproxy, keyIds, errorLines, durationMs: Date.now() - started };
  } finally {
    await load.close();
    await cleanUp(platform, options);
  }
}
