/**
 * `node --conditions=@fedshop/source --import tsx bench/purge-latency.ts [--changes 30] [--outbox-poll-ms 250]`:
 * how long after `upsertProduct` returns a second gateway replica can still serve the old
 * price (issue 18's cross-replica bound). Needs NATS_URL (JetStream). Starts the benchmark's
 * stack with two replicas of our gateway, each with its own in-memory response cache and
 * following the orders outbox's events; per change: both replicas have the product's page
 * cached (checked: a hit), the admin changes the price through replica 1, replica 1 must
 * answer the new price at once (its own purge), and replica 2 is polled (every ~2 ms) until
 * it does (through replica 1's broadcast or the outbox's event, whichever comes first). Prints
 * the distribution, how many tags replica 2 purged on broadcasts, and its mean lag from each
 * event to its purge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { readMetric } from '@fedshop/shared/testing';
import { startBenchStack } from './bench-stack';

const CATALOG = 'query Catalog($first: Int!) { products(first: $first) { edges { node { sku name priceCents currency } } } }';
const UPSERT = 'mutation Upsert($input: ProductInput!) { upsertProduct(input: $input) { sku priceCents } }';

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return { data: body.data, age: response.headers.get('age') };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { changes: { type: 'string', default: '30' }, 'outbox-poll-ms': { type: 'string', default: '250' } },
  });
  const natsUrl = process.env.NATS_URL;
  if (!natsUrl) throw new Error('NATS_URL must point at a NATS server with JetStream');
  const changes = Number(values.changes);
  const outboxPollMs = Number(values['outbox-poll-ms']);
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-purge-'));
  const log = (line: string) => process.stderr.write(`[purge-latency] ${line}\n`);
  const stack = await startBenchStack({
    gateways: ['ours-cache', 'ours-cache-replica'],
    workDir,
    accounts: 1,
    natsUrl,
    outboxPollMs,
    databaseServerUrl: process.env.TEST_DATABASE_URL || undefined,
    log,
  });
  try {
    const [one, two] = stack.gateways as [(typeof stack.gateways)[0], (typeof stack.gateways)[0]];
    // Each replica follows the events from the newest on: give both time to subscribe.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const lags: number[] = [];
    let polls = 0;
    for (let change = 0; change < changes; change++) {
      const first = 1 + (change % 20);
      const page = await gql(one.url, CATALOG, { first });
      const product = page.data.products.edges[first - 1].node as { sku: string; name: string; priceCents: number; currency: string };
      for (const gateway of [one, two]) {
        await gql(gateway.url, CATALOG, { first });
        if ((await gql(gateway.url, CATALOG, { first })).age === null)
          throw new Error(`${gateway.id}: the page was not served from its cache`);
      }
      const price = product.priceCents + 1;
      await gql(one.url, UPSERT, { input: { ...product, priceCents: price, stock: 1_000_000 } }, stack.adminToken);
      const returned = performance.now();
      const ownPrice = (await gql(one.url, CATALOG, { first })).data.products.edges[first - 1].node.priceCents;
      if (ownPrice !== price) throw new Error(`the writing replica served ${ownPrice} after the change to ${price}`);
      for (;;) {
        polls += 1;
        const seen = (await gql(two.url, CATALOG, { first })).data.products.edges[first - 1].node.priceCents;
        if (seen === price) break;
        if (performance.now() - returned > 10_000) throw new Error('replica 2 still served the old price after 10 s');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      lags.push(performance.now() - returned);
      // Both replicas also purge on the change's event when it arrives (later than the
      // broadcast): wait for it, so it cannot fall on the next change's warm-up.
      for (const gateway of [one, two]) {
        while ((await readMetric(gateway.url, 'gateway_response_cache_purge_lag_seconds_count')) < change + 1) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    }
    const sorted = [...lags].sort((a, b) => a - b);
    const broadcastPurges = await readMetric(two.url, 'gateway_response_cache_purged_tags_total', { source: 'broadcast' });
    const eventLag = {
      sum: await readMetric(two.url, 'gateway_response_cache_purge_lag_seconds_sum'),
      count: await readMetric(two.url, 'gateway_response_cache_purge_lag_seconds_count'),
    };
    console.log(
      JSON.stringify(
        {
          changes,
          outboxPollMs,
          staleAfterReturnMs: {
            min: Math.round(sorted[0]! * 10) / 10,
            p50: Math.round(percentile(sorted, 50) * 10) / 10,
            p95: Math.round(percentile(sorted, 95) * 10) / 10,
            max: Math.round(sorted[sorted.length - 1]! * 10) / 10,
          },
          polls,
          replica2TagsPurgedOnBroadcast: broadcastPurges,
          replica2EventToPurgeMeanMs: eventLag.count > 0 ? Math.round((eventLag.sum / eventLag.count) * 10_000) / 10 : null,
          writerServedNewPriceAtOnce: true,
        },
        null,
        2,
      ),
    );
  } finally {
    await stack.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
