import { peakInWindow } from '../../../bench/arithmetic';
import { MemorySellerTable } from '../../../bench/fleet/in-memory';
import { simulateFleet } from '../../../bench/fleet/simulate';
import { SimulatedTime, seededRandom } from '../../../bench/fleet/simulated-time';
import { RateLimiter } from '../../../lambda/refresh/pacing';
import { SellerStatus } from '../../../lambda/shared/seller-table';

const T0 = Date.parse('2026-01-05T00:00:00.000Z');
const T0_SECONDS = T0 / 1000;
const quiet = () => {};

describe('SimulatedTime', () => {
  it('wakes concurrent sleepers in time order and ends at the last wake-up', async () => {
    // Prepare
    const time = new SimulatedTime(T0);
    const woke: number[] = [];
    const sleeper = async (ms: number) => {
      await time.sleep(ms);
      woke.push(time.clock() - T0);
    };

    // Act
    await time.run(Promise.all([sleeper(30), sleeper(10), sleeper(20), sleeper(10)]));

    // Assess
    expect(woke).toEqual([10, 10, 20, 30]);
    expect(time.clock()).toBe(T0 + 30);
  });

  it('drives the real RateLimiter: 8 workers, 200 writes at 20/s, never more than 20 in any second', async () => {
    // Prepare
    const time = new SimulatedTime(T0);
    const limiter = new RateLimiter(20, time.clock, time.sleep);
    const starts: number[] = [];
    let remaining = 200;
    const worker = async () => {
      while (remaining-- > 0) {
        await limiter.acquire();
        starts.push(time.clock());
        await time.sleep(130);
      }
    };

    // Act
    await time.run(Promise.all(Array.from({ length: 8 }, worker)));

    // Assess
    expect(starts).toHaveLength(200);
    expect(peakInWindow(starts, 1000)).toBe(20);
    expect((starts.at(-1) as number) - T0).toBe(199 * 50);
  });

  it('is reproducible: the same seed draws the same numbers, all in [0, 1)', () => {
    // Act
    const a = Array.from({ length: 1000 }, seededRandom(42));
    const b = Array.from({ length: 1000 }, seededRandom(42));

    // Assess
    expect(a).toEqual(b);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
  });
});

describe('MemorySellerTable', () => {
  const latencies = { awsMs: 0, lwaMs: 0 };
  const immediate = async () => {};
  const seller = (sellerId: string, nextRefreshAt: number) => ({
    sellerId,
    region: 'NA' as const,
    status: SellerStatus.Active,
    secretName: `lwa-tokens/sellers/NA/${sellerId}`,
    nextRefreshAt,
  });
  const collect = async (table: MemorySellerTable, now: number) => {
    const ids: string[] = [];
    for await (const due of table.dueItems('NA', now)) ids.push(due.sellerId);
    return ids;
  };

  it('pages due items oldest first and leaves out what is not due yet', async () => {
    // Prepare
    const table = new MemorySellerTable(T0_SECONDS - 3600, immediate, latencies, 2);
    table.put(seller('ALATE', T0_SECONDS + 10));
    table.put(seller('ATHIRD', T0_SECONDS - 5));
    table.put(seller('AFIRST', T0_SECONDS - 60));
    table.put(seller('AOVERDUE', T0_SECONDS - 7200));
    table.put(seller('ASECOND', T0_SECONDS - 30));

    // Act
    const due = await collect(table, T0_SECONDS);

    // Assess: four due, two per page
    expect(due).toEqual(['AOVERDUE', 'AFIRST', 'ASECOND', 'ATHIRD']);
    expect(table.queryPages).toBe(2);
  });

  it('leases a due seller once, and only the lease holder may reschedule it', async () => {
    // Prepare
    const table = new MemorySellerTable(T0_SECONDS - 3600, immediate, latencies);
    table.put(seller('ASELLER', T0_SECONDS - 1));
    const due = { sellerId: 'ASELLER', region: 'NA' as const, nextRefreshAt: T0_SECONDS - 1 };
    const update = {
      accessTokenExpiresAt: T0_SECONDS + 3600,
      nextRefreshAt: T0_SECONDS + 3000,
      nowSeconds: T0_SECONDS,
      refreshed: true,
    };

    // Act
    const first = await table.acquireLease(due, 'run-1', T0_SECONDS, 360);
    const duplicate = await table.acquireLease(due, 'run-2', T0_SECONDS, 360);
    const byOther = await table.recordRefreshed(due, 'run-2', update);
    const byHolder = await table.recordRefreshed(due, 'run-1', update);

    // Assess
    expect(first).toMatchObject({ sellerId: 'ASELLER', leaseOwner: 'run-1' });
    expect(duplicate).toBeUndefined();
    expect(byOther).toEqual({ outcome: 'lease-lost' });
    expect(byHolder).toEqual({ outcome: 'written' });
    expect(await collect(table, T0_SECONDS)).toEqual([]);
    expect(await collect(table, T0_SECONDS + 3000)).toEqual(['ASELLER']);
    expect(await table.acquireLease(due, 'run-3', T0_SECONDS, 360)).toBeUndefined();
  });
});

describe('simulateFleet', () => {
  const latencies = { awsMs: 10, lwaMs: 100 };

  it('keeps a fleet under capacity fresh: nothing expires, writes stay under the cap', async () => {
    // Act: 300 sellers need ~0.1 writes/s; the cap is 20/s
    const result = await simulateFleet(
      { name: 'small', sellers: 300, hours: 3, writeCapPerSecond: 20, latencies },
      quiet,
    );

    // Assess
    expect(result.expiredBeforeRefresh).toBe(0);
    expect(result.expiredAtEnd).toBe(0);
    expect(result.peakWritesPerSecond).toBeLessThanOrEqual(20);
    expect(result.leadMinutes.min).toBeGreaterThanOrEqual(9);
    expect(result.refreshesPerSellerDay).toBeGreaterThan(27);
    expect(result.refreshesPerSellerDay).toBeLessThan(33);
    expect(result.runsHitBudget).toBe(0);
    expect(result.warnings).toBe(0);
  });

  it('uses the whole minute: a fleet at 90% of 0.95 × cap × interval stays fresh, the cap holds across runs', async () => {
    // Act: capacity at 5 writes/s is 0.95 × 5 × 2,880 = 13,680 sellers; 12,300 is 90% of it, and
    // more than the 12,000 that runs stopping at 50 s of every minute could keep fresh
    const result = await simulateFleet(
      { name: 'near capacity', sellers: 12_300, hours: 3, writeCapPerSecond: 5, latencies },
      quiet,
    );

    // Assess
    expect(result.capacitySellers).toBeCloseTo(13_680, 6);
    expect(result.scenario.sellers / result.capacitySellers).toBeGreaterThan(0.85);
    expect(result.expiredBeforeRefresh).toBe(0);
    expect(result.expiredAtEnd).toBe(0);
    expect(result.peakWritesPerSecond).toBeLessThanOrEqual(5);
    // Runs work past the old 50 s budget, yet each ends before its successor is due.
    expect(result.maxRunSeconds).toBeGreaterThan(50);
    expect(result.latestRunEndSeconds).toBeLessThan(60);
    expect(result.runsStartedLate).toBe(0);
    expect(result.runsSkipped).toBe(0);
    expect(result.runsHitBudget).toBeLessThan(result.runs * 0.1);
    expect(result.warnings).toBe(0);
  });

  it('at a low cap, ends every run before its successor is due: the drain covers the queued writes', async () => {
    // Act: at 2 writes/s the 8 workers' writes queued at the deadline take 4 s to go out
    const result = await simulateFleet(
      { name: 'low cap', sellers: 4_750, hours: 2, writeCapPerSecond: 2, latencies },
      quiet,
    );

    // Assess
    expect(result.latestRunEndSeconds).toBeLessThan(60);
    expect(result.runsStartedLate).toBe(0);
    expect(result.expiredBeforeRefresh).toBe(0);
    expect(result.peakWritesPerSecond).toBeLessThanOrEqual(2);
  });

  it('shows where the cap bites: past capacity, tokens expire and every run hits its budget', async () => {
    // Act: capacity at 1 write/s is (60 − 9 s drain) / 60 × 2,880 = 2,448 sellers; give it 4,000
    const result = await simulateFleet(
      { name: 'over', sellers: 4000, hours: 3, writeCapPerSecond: 1, latencies },
      quiet,
    );

    // Assess
    expect(result.capacitySellers).toBeCloseTo(2448, 6);
    expect(result.expiredBeforeRefresh).toBeGreaterThan(0);
    expect(result.peakWritesPerSecond).toBeLessThanOrEqual(1);
    expect(result.runsHitBudget).toBeGreaterThan(result.runs * 0.9);
  });
});
