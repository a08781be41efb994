import {
  callsPerRefresh,
  distribution,
  fleetCapacity,
  meanRefreshIntervalSeconds,
  median,
  monthlyCost,
  peakInWindow,
  percentile,
  perUnit,
  ratio,
  refreshesPerDay,
  serviceLatencyMs,
  throughputBound,
} from '../../../bench/arithmetic';
import { PRICES, type Prices } from '../../../bench/prices';

const oneToTen = Float64Array.from({ length: 10 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  it('reads the smallest value with at least p % of the sample at or below it', () => {
    // Act / Assess
    expect(percentile(oneToTen, 50)).toBe(5);
    expect(percentile(oneToTen, 51)).toBe(6);
    expect(percentile(oneToTen, 90)).toBe(9);
    expect(percentile(oneToTen, 99)).toBe(10);
  });

  it('gives the minimum at p0 and the maximum at p100', () => {
    // Act / Assess
    expect(percentile(oneToTen, 0)).toBe(1);
    expect(percentile(oneToTen, 100)).toBe(10);
  });

  it('reports p1 and p99 of 1..1000 as 10 and 990, never an interpolated value', () => {
    // Prepare
    const sample = Float64Array.from({ length: 1000 }, (_, i) => i + 1);

    // Act / Assess
    expect(percentile(sample, 1)).toBe(10);
    expect(percentile(sample, 99)).toBe(990);
    expect(percentile(sample, 99.9)).toBe(999);
  });

  it('refuses an empty sample and a p outside [0, 100]', () => {
    // Act / Assess
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile(oneToTen, 101)).toThrow(RangeError);
    expect(() => percentile(oneToTen, Number.NaN)).toThrow(RangeError);
  });
});

describe('distribution', () => {
  it('sorts numerically (not as strings) and leaves the input untouched', () => {
    // Prepare
    const values = [100, 9, 20, 3, 1000];

    // Act
    const result = distribution(values);

    // Assess
    expect(result).toMatchObject({ count: 5, min: 3, p50: 20, max: 1000, mean: 226.4 });
    expect(values).toEqual([100, 9, 20, 3, 1000]);
  });

  it('takes the lower middle as the median of an even sample', () => {
    // Act / Assess
    expect(median([4, 1, 3, 2])).toBe(2);
  });
});

describe('throughput bound and ratio', () => {
  it('is the write cap when the workers could go faster', () => {
    // Act: 8 workers at 135 ms could do 59/s
    const bound = throughputBound({ concurrency: 8, perRefreshLatencyMs: 135, writeCapPerSecond: 20 });

    // Assess
    expect(bound).toEqual({ perSecond: 20, limitedBy: 'write cap' });
  });

  it('is concurrency / latency when that is below the cap', () => {
    // Act
    const bound = throughputBound({ concurrency: 4, perRefreshLatencyMs: 160, writeCapPerSecond: 50 });

    // Assess
    expect(bound.limitedBy).toBe('concurrency');
    expect(bound.perSecond).toBeCloseTo(25, 10);
  });

  it('divides measured by bound, and refuses a zero bound', () => {
    // Act / Assess
    expect(ratio(19, 20)).toBeCloseTo(0.95, 10);
    expect(() => ratio(1, 0)).toThrow(RangeError);
  });

  it('excludes queueing for the write limiter and for LWA from the per-refresh latency', () => {
    // Act: 4 refreshes, 1,000 ms wall in total, 200 ms of it waiting for the limiter, 100 ms for LWA
    const latency = serviceLatencyMs({
      refreshes: 4,
      wallMs: 1000,
      rateLimiterWaitMs: 200,
      lwaQueueWaitMs: 100,
    });

    // Assess
    expect(latency).toBe(175);
  });
});

describe('callsPerRefresh', () => {
  it('divides by refreshed sellers and reports Query pages apart', () => {
    // Prepare: what the counting proxy saw for 200 refreshes (one extra read: the app credentials)
    const counts = {
      'DynamoDB_20120810.Query': 3,
      'DynamoDB_20120810.UpdateItem': 400,
      'secretsmanager.GetSecretValue': 201,
      'secretsmanager.PutSecretValue': 200,
    };

    // Act
    const result = callsPerRefresh(counts, 200);

    // Assess
    expect(result.perRefresh).toBeCloseTo(4.005, 10);
    expect(result.queryPages).toBe(3);
    expect(result.byOperation['DynamoDB_20120810.UpdateItem']).toBe(2);
    expect(result.byOperation['secretsmanager.GetSecretValue']).toBeCloseTo(1.005, 10);
  });

  it('refuses to divide by zero refreshes', () => {
    // Act / Assess
    expect(() => callsPerRefresh({}, 0)).toThrow(RangeError);
  });
});

describe('peakInWindow', () => {
  it('finds 20 in any second of writes spaced 50 ms apart', () => {
    // Prepare
    const times = Array.from({ length: 100 }, (_, i) => 10_000 + i * 50);

    // Act / Assess
    expect(peakInWindow(times, 1000)).toBe(20);
  });

  it('counts a burst that straddles a calendar-second boundary', () => {
    // Prepare: 3 writes at the end of one second and 3 at the start of the next
    const times = [1900, 1950, 1990, 2000, 2010, 2050, 3500];

    // Act / Assess
    expect(peakInWindow(times, 1000)).toBe(6);
  });

  it('treats the window as half-open: t and t + window are in different windows', () => {
    // Act / Assess
    expect(peakInWindow([0, 1000, 2000], 1000)).toBe(1);
    expect(peakInWindow([], 1000)).toBe(0);
  });

  it('refuses times out of order', () => {
    // Act / Assess
    expect(() => peakInWindow([0, 10, 5], 1000)).toThrow(RangeError);
  });
});

describe('refresh interval and fleet capacity', () => {
  it('is 2,880 s on average for one-hour tokens with a 10 min lead, 0–5 min spread and 1 min ticks', () => {
    // Act
    const interval = meanRefreshIntervalSeconds({
      expiresInSeconds: 3600,
      leadSeconds: 600,
      spreadSeconds: 300,
      tickSeconds: 60,
    });

    // Assess
    expect(interval).toBe(2880);
    expect(refreshesPerDay(interval)).toBe(30);
  });

  it('counts every tick but its drain: 0.95 × cap × interval, 54,720 sellers at 20 writes/s, 136,800 at 50/s', () => {
    // Prepare
    const base = { tickSeconds: 60, drainSeconds: 3, meanRefreshIntervalSeconds: 2880 };

    // Act / Assess
    expect(fleetCapacity({ ...base, writeCapPerSecond: 20 })).toBeCloseTo(0.95 * 20 * 2880, 6);
    expect(fleetCapacity({ ...base, writeCapPerSecond: 20 })).toBeCloseTo(54_720, 6);
    expect(fleetCapacity({ ...base, writeCapPerSecond: 50 })).toBeCloseTo(136_800, 6);
    expect(fleetCapacity({ ...base, drainSeconds: 0, writeCapPerSecond: 1 })).toBeCloseTo(2880, 6);
    expect(fleetCapacity({ ...base, tickSeconds: 300, drainSeconds: 3, writeCapPerSecond: 50 })).toBeCloseTo(
      (297 / 300) * 50 * 2880,
      6,
    );
  });

  it('gives no capacity when the drain takes the whole tick, and refuses a tick of 0', () => {
    expect(
      fleetCapacity({
        writeCapPerSecond: 20,
        tickSeconds: 60,
        drainSeconds: 60,
        meanRefreshIntervalSeconds: 2880,
      }),
    ).toBe(0);
    expect(() =>
      fleetCapacity({
        writeCapPerSecond: 20,
        tickSeconds: 0,
        drainSeconds: 3,
        meanRefreshIntervalSeconds: 2880,
      }),
    ).toThrow(RangeError);
  });

  it('scales a count to a rate per unit', () => {
    // Act / Assess
    expect(perUnit(20, 10_000, 10_000)).toBe(20);
    expect(perUnit(3, 1500, 10_000)).toBe(20);
    expect(() => perUnit(1, 0, 10_000)).toThrow(RangeError);
  });
});

describe('monthlyCost', () => {
  // Round prices and a 30-day month, so every expected figure below can be checked by hand.
  const roundPrices: Prices = {
    source: 'test',
    secretsManager: { perSecretMonth: 0.4, perTenThousandCalls: 0.05 },
    dynamoDbOnDemand: { perMillionWriteUnits: 1, perMillionReadUnits: 0.5 },
    lambdaArm64: { perMillionRequests: 0.2, perGbSecond: 0.00001 },
    kms: { perKeyMonth: 1, perTenThousandRequests: 0.03 },
    hoursPerMonth: 720,
  };
  const input = {
    sellers: 1000,
    refreshesPerSellerPerDay: 30,
    secretsManagerCallsPerRefresh: 2,
    updateItemsPerRefresh: 2,
    indexWritesPerRefresh: 3,
    itemSizeKb: 0.5,
    lambdaSecondsPerRefresh: 0.05,
    lambdaMemoryGb: 0.5,
    invocationsPerDay: 1440,
    idleRunSeconds: 0.1,
    idleQueryPagesPerRun: 3,
  };

  it('splits the monthly cost of 1,000 sellers by item', () => {
    // Act
    const cost = monthlyCost(input, roundPrices);

    // Assess: 1,000 sellers × 30 refreshes × 30 days = 900,000 refreshes
    expect(cost.refreshesPerMonth).toBe(900_000);
    expect(cost.variable.secretStorage).toBeCloseTo(400, 10);
    // 1.8 M calls: 180 × $0.05 for Secrets Manager and 180 × $0.03 for KMS
    expect(cost.variable.secretsManagerApi).toBeCloseTo(9, 10);
    expect(cost.variable.kmsRequests).toBeCloseTo(5.4, 10);
    // 900,000 × (2 table + 3 index) writes of one unit = 4.5 M write units
    expect(cost.variable.dynamoDbWrites).toBeCloseTo(4.5, 10);
    // 900,000 × 0.5 KB read = 900,000 × 1/8 of a 4 KB unit × 0.5 = 56,250 read units
    expect(cost.variable.dynamoDbReads).toBeCloseTo(0.028125, 10);
    // 900,000 × 0.05 s × 0.5 GB = 22,500 GB-s
    expect(cost.variable.lambdaCompute).toBeCloseTo(0.225, 10);
    expect(cost.variable.total).toBeCloseTo(400 + 9 + 5.4 + 4.5 + 0.028125 + 0.225, 10);
  });

  it('keeps what every deployment pays apart from what grows with the fleet', () => {
    // Act
    const cost = monthlyCost(input, roundPrices);

    // Assess: 1,440 × 30 = 43,200 invocations
    expect(cost.fixed.lambdaRequests).toBeCloseTo(0.00864, 10);
    expect(cost.fixed.lambdaIdleCompute).toBeCloseTo(43_200 * 0.1 * 0.5 * 0.00001, 10);
    expect(cost.fixed.dynamoDbIdleReads).toBeCloseTo(((43_200 * 3 * 0.5) / 1e6) * 0.5, 10);
    expect(cost.fixed.kmsKey).toBe(1);
    expect(cost.total).toBeCloseTo(cost.variable.total + cost.fixed.total, 10);
  });

  it('prices a reading process at one GetSecretValue and one Decrypt per token lifetime', () => {
    // Act
    const cost = monthlyCost(input, roundPrices);

    // Assess: 900,000 reads × ($0.05 + $0.03) / 10,000
    expect(cost.perReadingProcess).toBeCloseTo(7.2, 10);
  });

  it('rounds a write of an item over 1 KB up to whole units', () => {
    // Act
    const small = monthlyCost(input, roundPrices);
    const large = monthlyCost({ ...input, itemSizeKb: 1.2 }, roundPrices);

    // Assess
    expect(large.variable.dynamoDbWrites).toBeCloseTo(2 * small.variable.dynamoDbWrites, 10);
  });

  it('is dominated by secret storage at list prices: about $0.42 per seller-month', () => {
    // Act
    const cost = monthlyCost({ ...input, refreshesPerSellerPerDay: refreshesPerDay(2880) }, PRICES);

    // Assess
    expect(cost.variable.secretStorage).toBe(400);
    expect(cost.variable.total).toBeGreaterThan(400);
    expect(cost.variable.total).toBeLessThan(425);
  });
});
