import { priceLayout } from '../../../bench/fleet/layout';
import { simulateLayout } from '../../../bench/fleet/layout-figures';
import { simulateShardedFleet } from '../../../bench/fleet/simulate-sharded';
import { SECRET_STRING_MAX_BYTES } from '../../../bench/sharded-arithmetic';

const quiet = () => {};
const latencies = { awsMs: 10, lwaMs: 100 };

describe('simulateShardedFleet', () => {
  it('keeps a small sharded fleet fresh with one write per shard for all its sellers', async () => {
    // Act: 700 sellers in shards of 14, 3 hours
    const result = await simulateShardedFleet(
      {
        name: 'small',
        sellers: 700,
        hours: 3,
        shardSize: 14,
        writeCapPerSecond: 20,
        lwaMaxConcurrency: 8,
        latencies,
      },
      quiet,
    );

    // Assess: 234 + 233 + 233 sellers a region, 17 shards each
    expect(result.secrets).toBe(51);
    expect(result.expiredBeforeRefresh).toBe(0);
    expect(result.expiredAtEnd).toBe(0);
    expect(result.refreshes / result.secretWrites).toBeGreaterThan(13);
    expect(result.refreshes / result.secretWrites).toBeLessThanOrEqual(14);
    // Each seller refreshed about every 47 minutes: 3 or 4 times in 3 hours, and each shard alike
    expect(result.refreshes / 700).toBeGreaterThan(3.5);
    expect(result.refreshes / 700).toBeLessThan(4.2);
    expect(result.maxVersionsPerSecret).toBeGreaterThanOrEqual(3);
    expect(result.maxVersionsPerSecret).toBeLessThanOrEqual(5);
    // PutSecretValue and the compare-and-swap's UpdateSecretVersionStage share the write cap
    expect(result.peakWriteQuotaCallsPerSecond).toBeLessThanOrEqual(20);
    expect(result.peakWriteQuotaCallsPerSecond).toBeGreaterThan(result.peakPutSecretValuePerSecond);
    expect(result.quotaShare).toBe(result.peakWriteQuotaCallsPerSecond / 50);
    expect(result.lwaCallsPerSecond.peak).toBeLessThanOrEqual(80);
    expect(result.lwaCallsPerSecond.mean).toBeCloseTo(result.refreshes / (3 * 3600), 10);
    // The earliest seller of a shard is refreshed with its 10-minute lead, less a tick's wait at most
    expect(result.leadMinutes.min).toBeGreaterThanOrEqual(9);
    expect(result.largestSecretBytes).toBeGreaterThan(14 * 900);
    expect(result.largestSecretBytes).toBeLessThan(SECRET_STRING_MAX_BYTES);
    expect(result.writesOverSizeLimit).toBe(0);
    expect(result.runsHitBudget).toBe(0);
    expect(result.maxRunSeconds).toBeLessThan(50);
  });

  it('is limited by LWA, not by writes: one slot of 1 s cannot keep 6,000 sellers fresh', async () => {
    // Act: 6,000 sellers need ~2.2 LWA calls/s; one 1-second slot gives one
    const result = await simulateShardedFleet(
      {
        name: 'lwa-bound',
        sellers: 6000,
        hours: 3,
        shardSize: 50,
        writeCapPerSecond: 20,
        lwaMaxConcurrency: 1,
        latencies: { awsMs: 10, lwaMs: 1000 },
      },
      quiet,
    );

    // Assess
    expect(result.expiredBeforeRefresh).toBeGreaterThan(0);
    expect(result.runsHitBudget).toBeGreaterThan(result.runs * 0.5);
    expect(result.lwaCallsPerSecond.peak).toBe(1);
    expect(result.peakPutSecretValuePerSecond).toBeLessThanOrEqual(2);
    expect(result.maxRunSeconds).toBeGreaterThan(60);
  });
});

describe('the layout study', () => {
  it("prices today's layout from the real refresher's run: one secret and $0.40 a seller", async () => {
    // Act
    const row = priceLayout(
      await simulateLayout(
        {
          layout: 'per-seller',
          scenario: { name: 'today', sellers: 300, hours: 3, writeCapPerSecond: 20, latencies },
        },
        quiet,
      ),
    );

    // Assess
    expect(row).toMatchObject({ layout: 'per-seller', secrets: 300, shardSize: 1, expiredBeforeRefresh: 0 });
    expect(row.secretWrites).toBe(row.refreshes);
    expect(row.maxVersionsPerSecret).toBeGreaterThanOrEqual(3);
    expect(row.maxVersionsPerSecret).toBeLessThanOrEqual(5);
    expect(row.lwaCallsPerSecond.mean).toBeCloseTo(row.refreshes / (3 * 3600), 10);
    expect(row.costPerThousandSellers.variable.secretStorage).toBeCloseTo(400, 10);
    expect(row.largestSecretBytes).toBeGreaterThan(800);
    expect(row.largestSecretBytes).toBeLessThan(4400);
  });

  it('prices a sharded layout at its shard count', async () => {
    // Act
    const row = priceLayout(
      await simulateLayout(
        {
          layout: 'sharded',
          scenario: {
            name: 'shards',
            sellers: 300,
            hours: 3,
            shardSize: 50,
            writeCapPerSecond: 20,
            lwaMaxConcurrency: 8,
            latencies,
          },
        },
        quiet,
      ),
    );

    // Assess: 6 shards for 300 sellers, $0.40 each, is $8 per 1,000 sellers
    expect(row.secrets).toBe(6);
    expect(row.costPerThousandSellers.variable.secretStorage).toBeCloseTo(8, 10);
    expect(row.costPerThousandSellers.variable.total).toBeLessThan(10);
  });
});
