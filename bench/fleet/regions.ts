import type { FleetResult } from './simulate';

/**
 * The fleet that per-region stacks carry: each AWS region is its own stack, with its own sellers
 * table, refresher, write limiter and 50/s Secrets Manager quota, so regions share nothing and
 * their fleets add up. Each region is simulated on its own (another seed, another fleet).
 */
export interface RegionsResult {
  readonly regions: number;
  readonly hours: number;
  readonly writeCapPerSecondPerRegion: number;
  readonly sellersPerRegion: number;
  readonly totalSellers: number;
  /** Sum of the regions' arithmetic capacity (0.95 × cap × interval each). */
  readonly capacitySellers: number;
  readonly expiredBeforeRefresh: number;
  readonly expiredAtEnd: number;
  /** The busiest 1-second window of any one region (each has its own quota). */
  readonly peakWritesPerSecondPerRegion: number;
  readonly runsHitBudget: number;
  readonly runs: number;
  /** Wall time of the regions' simulations added up (they run in parallel child processes). */
  readonly wallSeconds: number;
  readonly perRegion: ReadonlyArray<{
    readonly name: string;
    readonly seed: number;
    readonly sellers: number;
    readonly expiredBeforeRefresh: number;
    readonly expiredAtEnd: number;
    readonly peakWritesPerSecond: number;
    readonly leadMinutesMin: number;
    readonly runsHitBudget: number;
    readonly wallSeconds: number;
  }>;
}

export function summariseRegions(results: readonly FleetResult[]): RegionsResult {
  const first = results[0];
  if (!first) throw new RangeError('no regional simulation to summarise');
  const { hours, writeCapPerSecond, sellers } = first.scenario;
  if (results.some((r) => r.scenario.hours !== hours || r.scenario.writeCapPerSecond !== writeCapPerSecond)) {
    throw new RangeError('the regions must be simulated for the same hours at the same cap');
  }
  const sum = (of: (r: FleetResult) => number) => results.reduce((total, r) => total + of(r), 0);
  return {
    regions: results.length,
    hours,
    writeCapPerSecondPerRegion: writeCapPerSecond,
    sellersPerRegion: sellers,
    totalSellers: sum((r) => r.scenario.sellers),
    capacitySellers: sum((r) => r.capacitySellers),
    expiredBeforeRefresh: sum((r) => r.expiredBeforeRefresh),
    expiredAtEnd: sum((r) => r.expiredAtEnd),
    peakWritesPerSecondPerRegion: Math.max(...results.map((r) => r.peakWritesPerSecond)),
    runsHitBudget: sum((r) => r.runsHitBudget),
    runs: sum((r) => r.runs),
    wallSeconds: sum((r) => r.wallSeconds),
    perRegion: results.map((r) => ({
      name: r.scenario.name,
      seed: r.scenario.seed ?? 7,
      sellers: r.scenario.sellers,
      expiredBeforeRefresh: r.expiredBeforeRefresh,
      expiredAtEnd: r.expiredAtEnd,
      peakWritesPerSecond: r.peakWritesPerSecond,
      leadMinutesMin: r.leadMinutes.min,
      runsHitBudget: r.runsHitBudget,
      wallSeconds: r.wallSeconds,
    })),
  };
}
