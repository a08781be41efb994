import { monthlyCost, peakInWindow, percentile } from '../../../bench/arithmetic';
import { seededRandom } from '../../../bench/fleet/simulated-time';
import { PRICES } from '../../../bench/prices';
import {
  assignShards,
  drawTokenBytes,
  fnv1a32,
  layoutCostInput,
  lwaSlotsNeeded,
  MAX_TOKEN_BYTES,
  maxWritesPerSecretInWindow,
  SECRET_STRING_MAX_BYTES,
  SecondsHistogram,
  SlidingWindowPeak,
  sellerSecretBytes,
  shardBytes,
  shardCountFor,
  shardEntryBytes,
  shardNextRefreshAt,
  stableShardHash,
} from '../../../bench/sharded-arithmetic';
import { serializeTokenSecret, type TokenSecretValue } from '../../../lambda/shared/token-secret';

const HOUR_MS = 3_600_000;

describe('stableShardHash', () => {
  it('is FNV-1a: the published test vectors', () => {
    // Act / Assess
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes region and seller id together, the same on every call', () => {
    // Act / Assess
    expect(stableShardHash('A2EUQ1WTGCTBG2', 'NA')).toBe(fnv1a32('NA#A2EUQ1WTGCTBG2'));
    expect(stableShardHash('A2EUQ1WTGCTBG2', 'NA')).toBe(stableShardHash('A2EUQ1WTGCTBG2', 'NA'));
    expect(stableShardHash('A2EUQ1WTGCTBG2', 'EU')).not.toBe(stableShardHash('A2EUQ1WTGCTBG2', 'NA'));
  });
});

describe('assignShards', () => {
  it('puts a seller in the shard its hash names while that shard has room', () => {
    // Act: shards of 2; hashes 5 and 9 both name shard 1 of 4
    const shardOf = assignShards([5, 9, 2], 4, 2);

    // Assess
    expect(Array.from(shardOf)).toEqual([1, 1, 2]);
  });

  it('moves a seller on to the next shard with room when its own is full, wrapping at the end', () => {
    // Act: shards of 1; all three name shard 2 of 3
    const shardOf = assignShards([2, 5, 8], 3, 1);

    // Assess
    expect(Array.from(shardOf)).toEqual([2, 0, 1]);
  });

  it('never overfills a shard, where hash mod count would push shards of 50 far past 50', () => {
    // Prepare: 100,000 sellers of one region in 2,000 shards of 50
    const hashes = Array.from({ length: 100_000 }, (_, i) => stableShardHash(`A${i}SIM`, 'NA'));
    const count = shardCountFor(hashes.length, 50);
    const byModulo = new Int32Array(count);
    for (const hash of hashes) byModulo[hash % count] = (byModulo[hash % count] as number) + 1;

    // Act
    const shardOf = assignShards(hashes, count, 50);

    // Assess
    const occupancy = new Int32Array(count);
    for (const shard of shardOf) occupancy[shard] = (occupancy[shard] as number) + 1;
    expect(count).toBe(2000);
    expect(Math.max(...occupancy)).toBe(50);
    expect(Math.max(...byModulo)).toBeGreaterThan(65);
  });

  it('refuses more sellers than the shards hold', () => {
    // Act / Assess
    expect(() => assignShards([1, 2, 3], 1, 2)).toThrow(RangeError);
    expect(shardCountFor(0, 14)).toBe(1);
    expect(shardCountFor(29, 14)).toBe(3);
  });
});

describe('shard sizes', () => {
  const token = (prefix: string, bytes: number) => `${prefix}${'x'.repeat(bytes - prefix.length)}`;
  const value = (sellerId: string, accessBytes: number, refreshBytes: number): TokenSecretValue => ({
    sellerId,
    region: 'EU',
    accessToken: token('Atza|', accessBytes),
    accessTokenExpiresAt: '2026-11-28T07:00:00.000Z',
    refreshToken: token('Atzr|', refreshBytes),
    tokenType: 'bearer',
    updatedAt: '2026-11-28T06:00:00.000Z',
  });

  it('counts a shard byte for byte as the JSON of its sellers keyed by seller id', () => {
    // Prepare
    const sellers = [
      value('A2EUQ1WTGCTBG2', 380, 410),
      value('A1F83G8C2ARO7P', 2048, 2048),
      value('AZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', 100, 900),
    ];
    const json = JSON.stringify(
      Object.fromEntries(sellers.map((s) => [s.sellerId, JSON.parse(serializeTokenSecret(s))])),
    );

    // Act
    const bytes = shardBytes(
      sellers.map((s) =>
        shardEntryBytes({
          sellerIdLength: (s.sellerId as string).length,
          accessTokenBytes: s.accessToken.length,
          refreshTokenBytes: (s.refreshToken as string).length,
        }),
      ),
    );

    // Assess
    expect(bytes).toBe(Buffer.byteLength(json));
  });

  it("counts today's per-seller secret as its stored JSON", () => {
    // Prepare
    const seller = value('A2EUQ1WTGCTBG2', 390, 420);

    // Act
    const bytes = sellerSecretBytes({ sellerIdLength: 14, accessTokenBytes: 390, refreshTokenBytes: 420 });

    // Assess
    expect(bytes).toBe(Buffer.byteLength(serializeTokenSecret(seller)));
  });

  it('fits 15 sellers with the largest tokens seed 001 accepts in 64 KB, and not 16', () => {
    // Prepare
    const worst = shardEntryBytes({
      sellerIdLength: 32,
      accessTokenBytes: MAX_TOKEN_BYTES,
      refreshTokenBytes: MAX_TOKEN_BYTES,
    });

    // Act / Assess
    expect(shardBytes(Array(14).fill(worst))).toBeLessThan(SECRET_STRING_MAX_BYTES);
    expect(shardBytes(Array(15).fill(worst))).toBeLessThan(SECRET_STRING_MAX_BYTES);
    expect(shardBytes(Array(16).fill(worst))).toBeGreaterThan(SECRET_STRING_MAX_BYTES);
  });

  it('draws token sizes around 400 bytes, within what seed 001 accepts, the same for a seed', () => {
    // Prepare
    const random = seededRandom(3);
    const again = seededRandom(3);

    // Act
    const draws = Array.from({ length: 100_000 }, () => drawTokenBytes(random));
    const sample = Float64Array.from(draws).sort();

    // Assess
    expect(Array.from({ length: 100_000 }, () => drawTokenBytes(again))).toEqual(draws);
    expect(percentile(sample, 0)).toBeGreaterThanOrEqual(100);
    expect(percentile(sample, 100)).toBeLessThanOrEqual(MAX_TOKEN_BYTES);
    expect(percentile(sample, 50)).toBeGreaterThanOrEqual(390);
    expect(percentile(sample, 50)).toBeLessThanOrEqual(410);
    expect(percentile(sample, 99)).toBeGreaterThan(650);
    expect(percentile(sample, 99)).toBeLessThan(780);
  });
});

describe('shardNextRefreshAt (the version rule)', () => {
  it('is due when its earliest seller is due', () => {
    // Act / Assess
    expect(shardNextRefreshAt([5000, 4200, 4700], 1000)).toBe(4200);
  });

  it('is never due sooner than 10 minutes after its last write', () => {
    // Act / Assess
    expect(shardNextRefreshAt([1100, 4000], 1000)).toBe(1600);
    expect(shardNextRefreshAt([1100], 1000, 300)).toBe(1300);
  });

  it('refuses an empty shard', () => {
    // Act / Assess
    expect(() => shardNextRefreshAt([], 0)).toThrow(RangeError);
  });
});

describe('maxWritesPerSecretInWindow', () => {
  it('counts each secret apart and reports the busiest', () => {
    // Prepare: secret 1 written 3 times, secret 0 twice, secret 2 once
    const secrets = [0, 1, 1, 0, 1, 2];
    const times = [0, 1, 2, 3, 4, 5].map((h) => h * HOUR_MS);

    // Act / Assess
    expect(maxWritesPerSecretInWindow(secrets, times, 3)).toBe(3);
  });

  it('slides a 24-hour window: writes 13 hours apart never put three in one day', () => {
    // Prepare: one secret written every 13 hours for 5 days
    const times = Array.from({ length: 10 }, (_, i) => i * 13 * HOUR_MS);

    // Act / Assess
    expect(maxWritesPerSecretInWindow(new Array(10).fill(0), times, 1)).toBe(2);
    expect(maxWritesPerSecretInWindow(new Array(10).fill(0), times, 1, 40 * HOUR_MS)).toBe(4);
  });

  it('sees a secret written every 14 minutes for a day as over the 100-version rule', () => {
    // Prepare
    const times = Array.from({ length: 103 }, (_, i) => i * 14 * 60_000);

    // Act / Assess
    expect(maxWritesPerSecretInWindow(new Array(103).fill(0), times, 1)).toBe(103);
  });

  it('refuses mismatched inputs and unknown secrets', () => {
    // Act / Assess
    expect(() => maxWritesPerSecretInWindow([0], [], 1)).toThrow(RangeError);
    expect(() => maxWritesPerSecretInWindow([1], [0], 1)).toThrow(RangeError);
  });
});

describe('SlidingWindowPeak', () => {
  it('agrees with peakInWindow on a long random series, past its first buffer', () => {
    // Prepare: 50,000 times, bursts of up to ~3,000 in a second
    const random = seededRandom(11);
    const times: number[] = [];
    let t = 0;
    for (let i = 0; i < 50_000; i++) {
      t += random() < 0.001 ? 5000 : random() * (i % 10_000 < 3000 ? 0.3 : 40);
      times.push(t);
    }
    const peak = new SlidingWindowPeak(1000);

    // Act
    for (const time of times) peak.add(time);

    // Assess
    expect(peak.count).toBe(50_000);
    expect(peak.peak).toBe(peakInWindow(times, 1000));
    expect(peak.peak).toBeGreaterThan(1024);
  });

  it('counts a burst straddling a calendar-second boundary, like peakInWindow', () => {
    // Prepare
    const peak = new SlidingWindowPeak(1000);

    // Act
    for (const time of [1900, 1950, 1990, 2000, 2010, 2050, 3500]) peak.add(time);

    // Assess
    expect(peak.peak).toBe(6);
  });

  it('refuses times going backwards', () => {
    // Prepare
    const peak = new SlidingWindowPeak(1000);
    peak.add(10);

    // Act / Assess
    expect(() => peak.add(9)).toThrow(RangeError);
  });
});

describe('SecondsHistogram', () => {
  it('reads the nearest-rank percentile floored to the second, and the exact minimum', () => {
    // Prepare
    const random = seededRandom(5);
    const values = Array.from({ length: 10_000 }, () => -300 + random() * 4000);
    const histogram = new SecondsHistogram(-7200, 7200);
    const floored = Float64Array.from(values, Math.floor).sort();

    // Act
    for (const value of values) histogram.add(value);

    // Assess
    expect(histogram.count).toBe(10_000);
    expect(histogram.min).toBe(Math.min(...values));
    for (const p of [0, 1, 50, 99, 100]) expect(histogram.percentile(p)).toBe(percentile(floored, p));
  });

  it('clamps values outside its range into its end bins', () => {
    // Prepare
    const histogram = new SecondsHistogram(-10, 10);

    // Act
    histogram.add(-50.5);
    histogram.add(99);

    // Assess
    expect(histogram.min).toBe(-50.5);
    expect(histogram.percentile(0)).toBe(-10);
    expect(histogram.percentile(100)).toBe(10);
    expect(() => new SecondsHistogram(0, 1).percentile(50)).toThrow(RangeError);
  });
});

describe('layout cost', () => {
  const figures = {
    sellers: 1000,
    writesPerSecretPerDay: 30,
    secretsManagerCallsPerWrite: 2,
    kmsRequestsPerWrite: 2,
    updateItemsPerWrite: 2,
    indexWritesPerWrite: 3,
    itemSizeKb: 0.5,
    lambdaSecondsPerWrite: 0.05,
    lambdaMemoryGb: 0.5,
    invocationsPerDay: 1440,
    idleRunSeconds: 0.03,
    idleQueryPagesPerRun: 3,
  };

  it("prices today's layout as monthlyCost does: $0.40 a seller for storage", () => {
    // Act
    const cost = monthlyCost(layoutCostInput({ ...figures, sellersPerSecret: 1 }), PRICES);

    // Assess
    expect(cost.variable.secretStorage).toBeCloseTo(400, 10);
    expect(cost.refreshesPerMonth).toBeCloseTo(1000 * 30 * (730 / 24), 6);
    // 30 writes a day × 30.42 days × 1,000 sellers × 2 calls at $0.05 per 10,000
    expect(cost.variable.secretsManagerApi).toBeCloseTo(9.125, 6);
  });

  it('divides storage and every per-write line by the shard size', () => {
    // Act
    const today = monthlyCost(layoutCostInput({ ...figures, sellersPerSecret: 1 }), PRICES);
    const sharded = monthlyCost(layoutCostInput({ ...figures, sellersPerSecret: 50 }), PRICES);

    // Assess
    expect(sharded.variable.secretStorage).toBeCloseTo(8, 10);
    expect(sharded.variable.secretsManagerApi).toBeCloseTo(today.variable.secretsManagerApi / 50, 10);
    expect(sharded.variable.kmsRequests).toBeCloseTo(today.variable.kmsRequests / 50, 10);
    expect(sharded.variable.dynamoDbWrites).toBeCloseTo(today.variable.dynamoDbWrites / 50, 10);
    expect(sharded.fixed).toEqual(today.fixed);
  });

  it('prices the compare-and-swap as a Secrets Manager call that makes no KMS request', () => {
    // Act
    const plain = monthlyCost(layoutCostInput({ ...figures, sellersPerSecret: 14 }), PRICES);
    const withSwap = monthlyCost(
      layoutCostInput({ ...figures, sellersPerSecret: 14, secretsManagerCallsPerWrite: 3 }),
      PRICES,
    );

    // Assess
    expect(withSwap.variable.secretsManagerApi).toBeCloseTo(plain.variable.secretsManagerApi * 1.5, 10);
    expect(withSwap.variable.kmsRequests).toBeCloseTo(plain.variable.kmsRequests, 10);
  });

  it('refuses a secret holding fewer than one seller', () => {
    // Act / Assess
    expect(() => layoutCostInput({ ...figures, sellersPerSecret: 0.5 })).toThrow(RangeError);
  });
});

describe('lwaSlotsNeeded', () => {
  it('needs 21 slots of 100 ms for 174 calls/s taken in 50 s of every minute', () => {
    // Act / Assess
    expect(lwaSlotsNeeded({ callsPerSecond: 174, latencyMs: 100, budgetSeconds: 50, tickSeconds: 60 })).toBe(
      21,
    );
    expect(lwaSlotsNeeded({ callsPerSecond: 35, latencyMs: 100, budgetSeconds: 50, tickSeconds: 60 })).toBe(
      5,
    );
  });
});
