import path from 'node:path';
import { parseArgs } from 'node:util';
import { GATEWAYS, type GatewayId } from './bench-gateways';
import { REQUEST_FORMS, selectScenarios, type RequestForm, type Scenario } from './scenarios';

export interface BenchOptions {
  quick: boolean;
  /** Seconds of load before measuring, per scenario and gateway (responses checked in full). */
  warmupSeconds: number;
  /** Seconds measured per scenario and gateway, over all rounds. */
  durationSeconds: number;
  /** Measured rounds per scenario, the gateways taking turns in each (spreads load from elsewhere over all of them). */
  rounds: number;
  connections: number;
  /** Signed-in customers the scenarios rotate through. */
  accounts: number;
  scenarios: Scenario[];
  /** How requests vary (scenarios.ts): distinct (the headline), identical, or both (default; a scenario runs only the forms it has). */
  forms: RequestForm[];
  gateways: GatewayId[];
  /** Profile our gateway and both subgraphs (--cpu-prof) and summarize where their time went per scenario. */
  profile: boolean;
  /** Where the JSON goes. */
  output: string;
  /** TEST_DATABASE_URL: a PostgreSQL server (admin rights) to create the databases on; default an embedded one. */
  databaseServerUrl?: string;
  /** Each service process in a memory cgroup of its own with this limit, MiB (needs root); default none. */
  memoryLimitMiB?: number;
  /** The subscription scenario (ours and Hive only): subscriber counts to measure, in turn; none: skipped. */
  subscribers: number[];
  /** Orders placed per second while the subscription scenario measures. */
  subscriptionOrdersPerSecond: number;
  /** Seconds the subscription scenario places orders, per subscriber count and gateway. */
  subscriptionSeconds: number;
}

export const BENCH_USAGE = `npm run bench -- [options]
  --quick              1 s warm-up + 4 s measured in 2 rounds per scenario and gateway
                       (default 5 s warm-up + 18 s measured in 6 rounds of 3 s, gateways taking turns)
  --warmup <s>         warm-up seconds per scenario and gateway
  --duration <s>       measured seconds per scenario and gateway, all rounds together
  --rounds <n>         rounds the measured seconds are split into
  --connections <n>    concurrent keep-alive connections (default 10)
  --accounts <n>       signed-in customers to rotate through (default 50, at most 50)
  --scenario <list>    scenarios by number or id: 1/products, 2/my-orders, 3/admin-fan-out, 4/place-order,
                       5/catalog (default all; none: only the subscription scenario)
  --subscribers <list> the subscription scenario (ours, hive, ours-nosubdedup): subscriber counts, in turn
                       (default 1000,5000; --quick 200; 0: skip it)
  --order-rate <n>     orders per second while it measures (default 10)
  --subscription-seconds <s>  seconds it places orders, per count and gateway (default 10; --quick 4)
  --form <list>        distinct (every request differs: customers rotate, variables vary; the headline),
                       identical (one request repeated); default both
  --gateway <list>     ours, ours-cache (ours with its response cache on), apollo, hive (the default), and ours-alltraces (every request traced, not one in
                       ten), ours-linelog (log lines written one by one, unbatched),
                       ours-lean (limits, traces, request logs off), ours-nodedup, hive-nodedup
                       (without sharing identical in-flight subgraph queries), ours-nosubdedup (one
                       upstream subscription per client subscription; subscription scenario only),
                       ours-sourcemaps (Node's source maps on: TypeScript lines in stack traces)
  --memory-limit <MiB> run every service process in a memory cgroup of its own with this limit (the manifests
                       give 512; needs root), and report the most each held
  --profile            run our gateway (the first of ours in --gateway), the bare Apollo Gateway (when in --gateway) and the
                       subgraphs under --cpu-prof; print where their CPU time goes per scenario, and ours against
                       Apollo's per request, area by area (profiles and summary.txt in bench/results/profiles/<time>/)
  --output <file>      JSON results (default bench/results/latest.json)
Environment: TEST_DATABASE_URL — a PostgreSQL server to use instead of an embedded one.`;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function positive(name: string, value: string | undefined, fallback: number, max = Number.POSITIVE_INFINITY): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(number > 0) || number > max)
    throw new Error(`--${name} must be a positive number${max < Number.POSITIVE_INFINITY ? ` up to ${max}` : ''}, got "${value}"`);
  return number;
}

/** Parses `npm run bench -- …` and its one variable; throws with a one-line reason on a bad flag. */
export function parseBenchOptions(argv: string[], env: Record<string, string | undefined> = process.env): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      accounts: { type: 'string' },
      scenario: { type: 'string' },
      form: { type: 'string' },
      gateway: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'memory-limit': { type: 'string' },
      subscribers: { type: 'string' },
      'order-rate': { type: 'string' },
      'subscription-seconds': { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const gateways = list(values.gateway);
  const unknown = gateways.filter((id) => !GATEWAYS.some((gateway) => gateway.id === id));
  if (unknown.length > 0) throw new Error(`unknown gateway "${unknown[0]}" (one of ${GATEWAYS.map((g) => g.id).join(', ')})`);
  const forms = list(values.form);
  const badForm = forms.find((form) => !REQUEST_FORMS.includes(form as RequestForm));
  if (badForm) throw new Error(`unknown form "${badForm}" (one of ${REQUEST_FORMS.join(', ')})`);
  const rounds = Math.round(positive('rounds', values.rounds, values.quick ? 2 : 6, 100));
  const durationSeconds = positive('duration', values.duration, values.quick ? 4 : 18);
  // autocannon ends a run on its one-second tick: rounds last whole seconds.
  if (!Number.isInteger(durationSeconds / rounds))
    throw new Error(`--duration (${durationSeconds}) must be a whole number of seconds per round (${rounds} rounds)`);
  return {
    quick: values.quick,
    warmupSeconds: positive('warmup', values.warmup, values.quick ? 1 : 5),
    durationSeconds,
    rounds,
    connections: positive('connections', values.connections, 10, 1_000),
    accounts: positive('accounts', values.accounts, 50, 50),
    scenarios: list(values.scenario).join() === 'none' ? [] : selectScenarios(list(values.scenario)),
    forms: forms.length === 0 ? [...REQUEST_FORMS] : REQUEST_FORMS.filter((form) => forms.includes(form)),
    // Report order, whatever order they were named in.
    gateways: GATEWAYS.filter((g) => (gateways.length === 0 ? g.byDefault : gateways.includes(g.id))).map((g) => g.id),
    profile: values.profile,
    output: path.resolve(values.output ?? path.join(__dirname, 'results', 'latest.json')),
    databaseServerUrl: env.TEST_DATABASE_URL || undefined,
    memoryLimitMiB: values['memory-limit'] === undefined ? undefined : positive('memory-limit', values['memory-limit'], 0, 65_536),
    subscribers:
      values.subscribers === undefined
        ? values.quick
          ? [200]
          : [1_000, 5_000]
        : list(values.subscribers)
            .filter((count) => count !== '0')
            .map((count) => Math.round(positive('subscribers', count, 0, 20_000))),
    subscriptionOrdersPerSecond: positive('order-rate', values['order-rate'], 10, 1_000),
    subscriptionSeconds: positive('subscription-seconds', values['subscription-seconds'], values.quick ? 4 : 10, 600),
  };
}
