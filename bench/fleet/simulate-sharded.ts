/**
 * Issue 15's sharded layout on simulated time. Sellers are packed N to a secret; a shard is one
 * item in the in-memory sellers table (its `nextRefreshAt` is its earliest seller's), leased with
 * the same conditions as a seller today. A run leases a due shard, reads it, refreshes every seller
 * in it through LWA (one call each, through the real `Semaphore`), schedules each with the real
 * `computeRefreshSchedule`, and stores them all, rotated refresh tokens included, in one
 * `PutSecretValue`, then moves AWSCURRENT to it with `UpdateSecretVersionStage` (the
 * compare-and-swap of docs/design/sharded-layout.md). Both calls count against the account's 50/s
 * quota, so both are paced by the real `RateLimiter`. Nothing sleeps.
 */
import { loadRefreshConfig } from '../../lambda/refresh/config';
import { RateLimiter, Semaphore } from '../../lambda/refresh/pacing';
import type { DueItem } from '../../lambda/refresh/refresh-repository';
import { toEpochSeconds } from '../../lambda/shared/clock';
import { REGIONS, type Region } from '../../lambda/shared/regions';
import { computeRefreshSchedule } from '../../lambda/shared/scheduling';
import { SellerStatus } from '../../lambda/shared/seller-table';
import { meanRefreshIntervalSeconds, peakInWindow } from '../arithmetic';
import {
  assignShards,
  drawTokenBytes,
  MAX_VERSIONS_PER_24_HOURS,
  maxWritesPerSecretInWindow,
  SECRET_STRING_MAX_BYTES,
  SECRET_WRITE_QUOTA_PER_SECOND,
  SecondsHistogram,
  SlidingWindowPeak,
  shardBytes,
  shardCountFor,
  shardEntryBytes,
  shardNextRefreshAt,
  stableShardHash,
} from '../sharded-arithmetic';
import { type Latencies, MemoryLwa, MemorySellerTable } from './in-memory';
import type { LayoutFigures } from './layout-figures';
import { GrowableArray, simulatedSellerId } from './simulate';
import { SimulatedTime, seededRandom } from './simulated-time';

export interface ShardedScenario {
  readonly name: string;
  readonly sellers: number;
  readonly hours: number;
  /** Sellers per shard secret (at most; the last shards of a region hold fewer). */
  readonly shardSize: number;
  readonly writeCapPerSecond: number;
  /** LWA calls in flight at once; a shard's calls run in parallel within it. */
  readonly lwaMaxConcurrency: number;
  readonly latencies: Latencies;
  readonly seed?: number;
}

const TICK_SECONDS = 60;
const T0 = Date.parse('2026-01-05T00:00:00.000Z');
const EXPIRES_IN_SECONDS = 3600;

interface Shard {
  readonly id: string;
  readonly region: Region;
  readonly members: Int32Array;
  lastWriteAtSeconds: number;
  bytes: number;
}

export async function simulateShardedFleet(
  scenario: ShardedScenario,
  progress: (line: string) => void,
): Promise<LayoutFigures> {
  const started = performance.now();
  const random = seededRandom(scenario.seed ?? 7);
  const time = new SimulatedTime(T0);
  const config = loadRefreshConfig({
    SELLER_TABLE_NAME: 'sim-sellers',
    APP_SECRET_ID: 'sim-app',
    TOKEN_KMS_KEY_ID: 'sim-key',
    LWA_ENDPOINTS: JSON.stringify({ NA: 'https://lwa.sim', EU: 'https://lwa.sim', FE: 'https://lwa.sim' }),
    SECRETS_WRITES_PER_SECOND: String(scenario.writeCapPerSecond),
    LWA_MAX_CONCURRENCY: String(scenario.lwaMaxConcurrency),
  });

  // Sellers, their token sizes, and their shards: each region is sharded apart (its own LWA endpoint).
  const sellerIds: string[] = [];
  const accessBytes = new Uint16Array(scenario.sellers);
  const refreshBytes = new Uint16Array(scenario.sellers);
  const expiresAtMs = new Float64Array(scenario.sellers);
  const byRegion = new Map<Region, number[]>(REGIONS.map((region) => [region, []]));
  for (let i = 0; i < scenario.sellers; i++) {
    sellerIds.push(simulatedSellerId(i));
    accessBytes[i] = drawTokenBytes(random);
    refreshBytes[i] = drawTokenBytes(random);
    byRegion.get(REGIONS[i % REGIONS.length] ?? 'NA')?.push(i);
  }
  const entryBytes = (seller: number) =>
    shardEntryBytes({
      sellerIdLength: (sellerIds[seller] as string).length,
      accessTokenBytes: accessBytes[seller] as number,
      refreshTokenBytes: refreshBytes[seller] as number,
    });
  const shards: Shard[] = [];
  for (const [region, sellers] of byRegion) {
    if (sellers.length === 0) continue;
    const count = shardCountFor(sellers.length, scenario.shardSize);
    const hashes = sellers.map((seller) => stableShardHash(sellerIds[seller] as string, region));
    const shardOf = assignShards(hashes, count, scenario.shardSize);
    const members: number[][] = Array.from({ length: count }, () => []);
    sellers.forEach((seller, k) => {
      members[shardOf[k] as number]?.push(seller);
    });
    for (const [k, list] of members.entries()) {
      if (list.length === 0) continue;
      shards.push({
        id: `${region}-${String(k).padStart(6, '0')}`,
        region,
        members: Int32Array.from(list),
        lastWriteAtSeconds: Number.NEGATIVE_INFINITY,
        bytes: shardBytes(list.map(entryBytes)),
      });
    }
  }
  const shardIndex = new Map(shards.map((shard, index) => [shard.id, index]));

  // Steady state: every shard was last written at a uniformly random point of its interval, with
  // all its sellers refreshed in that write.
  const table = new MemorySellerTable(
    Math.floor(T0 / 1000) - 2 * EXPIRES_IN_SECONDS,
    time.sleep,
    scenario.latencies,
  );
  const interval = meanRefreshIntervalSeconds({
    expiresInSeconds: EXPIRES_IN_SECONDS,
    leadSeconds: config.leadSeconds,
    spreadSeconds: config.spreadSeconds,
    tickSeconds: TICK_SECONDS,
  });
  /** Schedules every seller of a shard with the real code; returns their next refreshes and first expiry. */
  const schedule = (shard: Shard, issuedAtMs: (k: number) => number) => {
    const next = new Float64Array(shard.members.length);
    let earliestExpiry = Number.POSITIVE_INFINITY;
    shard.members.forEach((seller, k) => {
      const planned = computeRefreshSchedule({
        issuedAtMs: issuedAtMs(k),
        expiresInSeconds: EXPIRES_IN_SECONDS,
        leadSeconds: config.leadSeconds,
        spreadSeconds: config.spreadSeconds,
        random,
      });
      expiresAtMs[seller] = planned.accessTokenExpiresAt * 1000;
      next[k] = planned.nextRefreshAt;
      earliestExpiry = Math.min(earliestExpiry, planned.accessTokenExpiresAt);
    });
    return { next, earliestExpiry };
  };
  for (const shard of shards) {
    const issuedAtMs = T0 - Math.floor(random() * interval * 1000);
    const { next, earliestExpiry } = schedule(shard, () => issuedAtMs);
    shard.lastWriteAtSeconds = toEpochSeconds(issuedAtMs);
    table.put({
      sellerId: shard.id,
      region: shard.region,
      status: SellerStatus.Active,
      secretName: `lwa-tokens/shards/${shard.id}`,
      accessTokenExpiresAt: earliestExpiry,
      nextRefreshAt: shardNextRefreshAt(next, shard.lastWriteAtSeconds),
      failureCount: 0,
    });
  }

  const lwa = new MemoryLwa(time.sleep, scenario.latencies, EXPIRES_IN_SECONDS);
  const lwaCalls = new Semaphore(config.lwaMaxConcurrency);
  const secretWrites = new RateLimiter(config.secretsWritesPerSecond, time.clock, time.sleep);
  const lwaPeak = new SlidingWindowPeak(1000);
  const quotaCalls = new SlidingWindowPeak(1000);
  const writeTimes = new GrowableArray();
  const writeShards = new GrowableArray();
  const leads = new SecondsHistogram(-2 * EXPIRES_IN_SECONDS, 2 * EXPIRES_IN_SECONDS);
  let expiredBeforeRefresh = 0;
  let largestSecretBytes = 0;
  let writesOverSizeLimit = 0;
  let refreshes = 0;

  const refreshShard = async (due: DueItem, owner: string): Promise<void> => {
    const item = await table.acquireLease(due, owner, toEpochSeconds(time.clock()), config.leaseSeconds);
    if (!item) return;
    const shard = shards[shardIndex.get(due.sellerId) as number] as Shard;
    // GetSecretValue: the shard's refresh tokens.
    await time.sleep(scenario.latencies.awsMs);
    const issued = new Float64Array(shard.members.length);
    await Promise.all(
      Array.from(shard.members, async (seller, k) => {
        await lwaCalls.use(async () => {
          issued[k] = time.clock();
          lwaPeak.add(issued[k] as number);
          await lwa.refreshAccessToken(config.lwaEndpoints[shard.region], {
            clientId: 'amzn1.application-oa2-client.sim',
            refreshToken: 'Atzr|sim',
          });
        });
        // A new access token of its own size; a rotated refresh token would be stored alongside.
        const drawn = drawTokenBytes(random);
        shard.bytes += drawn - (accessBytes[seller] as number);
        accessBytes[seller] = drawn;
      }),
    );
    // PutSecretValue of a pending version: from here every seller's new token, a rotated refresh
    // token included, is durable, and one version was created.
    await secretWrites.acquire();
    const putAtMs = time.clock();
    writeTimes.push(putAtMs);
    quotaCalls.add(putAtMs);
    writeShards.push(shardIndex.get(shard.id) as number);
    largestSecretBytes = Math.max(largestSecretBytes, shard.bytes);
    if (shard.bytes > SECRET_STRING_MAX_BYTES) writesOverSizeLimit++;
    await time.sleep(scenario.latencies.awsMs);
    // UpdateSecretVersionStage moves AWSCURRENT to it: readers see the new tokens from here.
    await secretWrites.acquire();
    const atMs = time.clock();
    quotaCalls.add(atMs);
    for (const seller of shard.members) {
      const leadMs = (expiresAtMs[seller] as number) - atMs;
      leads.add(leadMs / 1000);
      if (leadMs <= 0) expiredBeforeRefresh++;
    }
    await time.sleep(scenario.latencies.awsMs);
    refreshes += shard.members.length;
    const { next, earliestExpiry } = schedule(shard, (k) => issued[k] as number);
    shard.lastWriteAtSeconds = toEpochSeconds(atMs);
    await table.recordRefreshed(due, owner, {
      accessTokenExpiresAt: earliestExpiry,
      nextRefreshAt: shardNextRefreshAt(next, shard.lastWriteAtSeconds),
      nowSeconds: toEpochSeconds(time.clock()),
      refreshed: true,
    });
  };

  /** One run, as `runRefresh` does it: regions interleaved, `concurrency` workers, a time budget. */
  const run = async (deadlineMs: number, owner: string): Promise<boolean> => {
    const queue = interleave(
      config.regions.map((region) => table.dueItems(region, toEpochSeconds(time.clock()))),
    );
    let budgetExhausted = false;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (time.clock() >= deadlineMs) {
          budgetExhausted = true;
          return;
        }
        const next = await queue.next();
        if (next.done) return;
        await refreshShard(next.value, owner);
      }
    };
    await Promise.all(Array.from({ length: config.concurrency }, worker));
    return budgetExhausted;
  };

  const ticks = Math.round((scenario.hours * 3600) / TICK_SECONDS);
  let runsHitBudget = 0;
  let simulatedRunMs = 0;
  let maxRunMs = 0;
  let lastProgress = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    time.advanceTo(T0 + tick * TICK_SECONDS * 1000);
    const startedAt = time.clock();
    if (await time.run(run(startedAt + config.runBudgetSeconds * 1000, `run-${tick}`))) runsHitBudget++;
    simulatedRunMs += time.clock() - startedAt;
    maxRunMs = Math.max(maxRunMs, time.clock() - startedAt);
    if (performance.now() - lastProgress > 10_000) {
      lastProgress = performance.now();
      progress(
        `  ${scenario.name}: simulated ${((tick + 1) / 60).toFixed(1)} of ${scenario.hours} h, ${refreshes.toLocaleString('en-US')} refreshes`,
      );
    }
  }

  const endMs = T0 + ticks * TICK_SECONDS * 1000;
  let expiredAtEnd = 0;
  for (const expiry of expiresAtMs) if (expiry <= endMs) expiredAtEnd++;
  const maxVersionsPerSecret = maxWritesPerSecretInWindow(
    writeShards.view(),
    writeTimes.view(),
    shards.length,
  );
  if (maxVersionsPerSecret > MAX_VERSIONS_PER_24_HOURS) {
    progress(`  ${scenario.name}: a shard got ${maxVersionsPerSecret} versions, over Secrets Manager's 100`);
  }
  const peakPut = peakInWindow(writeTimes.view(), 1000);
  return {
    name: scenario.name,
    layout: 'sharded',
    sellers: scenario.sellers,
    hours: scenario.hours,
    shardSize: scenario.shardSize,
    secrets: shards.length,
    writeCapPerSecond: config.secretsWritesPerSecond,
    lwaMaxConcurrency: config.lwaMaxConcurrency,
    expiredBeforeRefresh,
    expiredAtEnd,
    refreshes,
    secretWrites: writeTimes.length,
    peakPutSecretValuePerSecond: peakPut,
    peakWriteQuotaCallsPerSecond: quotaCalls.peak,
    quotaShare: quotaCalls.peak / SECRET_WRITE_QUOTA_PER_SECOND,
    maxVersionsPerSecret,
    lwaCallsPerSecond: { peak: lwaPeak.peak, mean: lwaPeak.count / (scenario.hours * 3600) },
    leadMinutes: {
      min: leads.min / 60,
      p1: leads.percentile(1) / 60,
      p50: leads.percentile(50) / 60,
    },
    largestSecretBytes,
    writesOverSizeLimit,
    runs: ticks,
    runsHitBudget,
    maxRunSeconds: maxRunMs / 1000,
    simulatedRunSeconds: simulatedRunMs / 1000,
    awsMs: scenario.latencies.awsMs,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Round-robin over several async iterators until all are exhausted (as the refresher does). */
async function* interleave<T>(sources: AsyncIterator<T>[]): AsyncGenerator<T> {
  const active = [...sources];
  while (active.length > 0) {
    for (let i = 0; i < active.length; ) {
      const next = await (active[i] as AsyncIterator<T>).next();
      if (next.done) active.splice(i, 1);
      else {
        yield next.value;
        i++;
      }
    }
  }
}
