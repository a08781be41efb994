/**
 * Issue 15's comparison: one row of figures per layout and fleet, whether it came from the real
 * refresher on today's layout (simulate.ts) or from the sharded refresher (simulate-sharded.ts).
 */
import { drawTokenBytes, SECRET_WRITE_QUOTA_PER_SECOND, sellerSecretBytes } from '../sharded-arithmetic';
import type { FleetResult, FleetScenario } from './simulate';
import { simulatedSellerId, simulateFleet } from './simulate';
import { type ShardedScenario, simulateShardedFleet } from './simulate-sharded';
import { seededRandom } from './simulated-time';

export interface LayoutFigures {
  readonly name: string;
  readonly layout: 'per-seller' | 'sharded';
  readonly sellers: number;
  readonly hours: number;
  /** 1 for today's layout; N for a sharded one. */
  readonly shardSize: number;
  readonly secrets: number;
  readonly writeCapPerSecond: number;
  readonly lwaMaxConcurrency: number;
  /** Seller tokens stored only after the one they replaced had expired. */
  readonly expiredBeforeRefresh: number;
  /** Sellers whose stored token had expired when the simulation ended. */
  readonly expiredAtEnd: number;
  /** Seller tokens refreshed (one LWA call each). */
  readonly refreshes: number;
  readonly secretWrites: number;
  /** Most PutSecretValue calls in any 1-second window. */
  readonly peakPutSecretValuePerSecond: number;
  /**
   * Most calls in any 1-second window against the account's 50/s quota, which PutSecretValue
   * shares with UpdateSecretVersionStage (a shard's compare-and-swap).
   */
  readonly peakWriteQuotaCallsPerSecond: number;
  /** That peak as a share of the 50/s quota. */
  readonly quotaShare: number;
  /** Most versions any one secret got in any 24-hour window of the simulation. */
  readonly maxVersionsPerSecret: number;
  readonly lwaCallsPerSecond: { readonly peak: number; readonly mean: number };
  readonly leadMinutes: { readonly min: number; readonly p1: number; readonly p50: number };
  /** Largest secret written, in bytes, for the token sizes of `drawTokenBytes`. */
  readonly largestSecretBytes: number;
  /** Writes that would have exceeded Secrets Manager's 64 KB; must be 0. */
  readonly writesOverSizeLimit: number;
  readonly runs: number;
  readonly runsHitBudget: number;
  /** The longest run, simulated seconds (the refresher's timeout is 5 minutes). */
  readonly maxRunSeconds: number;
  /** Simulated refresher run time over the whole simulation: what Lambda bills. */
  readonly simulatedRunSeconds: number;
  /** Simulated latency of one AWS call, for the idle run's floor. */
  readonly awsMs: number;
  readonly wallSeconds: number;
}

/** One scenario of the study: today's layout through the real refresher, or a sharded one. */
export type LayoutScenario =
  | { readonly layout: 'per-seller'; readonly scenario: FleetScenario }
  | { readonly layout: 'sharded'; readonly scenario: ShardedScenario };

export async function simulateLayout(
  study: LayoutScenario,
  progress: (line: string) => void,
): Promise<LayoutFigures> {
  if (study.layout === 'sharded') return simulateShardedFleet(study.scenario, progress);
  return perSellerFigures(study.scenario, await simulateFleet(study.scenario, progress));
}

/**
 * Today's layout in the study's terms. Its simulation stores short fake tokens, so the largest
 * secret is drawn apart, from the same token sizes the sharded simulation uses.
 */
export function perSellerFigures(scenario: FleetScenario, result: FleetResult): LayoutFigures {
  const { lwaCallsPerSecond, maxVersionsPerSecret, simulatedRunSeconds } = result;
  if (!lwaCallsPerSecond || maxVersionsPerSecret === undefined || simulatedRunSeconds === undefined) {
    throw new Error(`fleet result ${scenario.name} lacks the figures issue 15 needs; re-run the simulation`);
  }
  return {
    name: scenario.name,
    layout: 'per-seller',
    sellers: scenario.sellers,
    hours: scenario.hours,
    shardSize: 1,
    secrets: scenario.sellers,
    writeCapPerSecond: scenario.writeCapPerSecond,
    lwaMaxConcurrency: result.config.lwaMaxConcurrency,
    expiredBeforeRefresh: result.expiredBeforeRefresh,
    expiredAtEnd: result.expiredAtEnd,
    refreshes: result.refreshes,
    secretWrites: result.refreshes,
    peakPutSecretValuePerSecond: result.peakWritesPerSecond,
    peakWriteQuotaCallsPerSecond: result.peakWritesPerSecond,
    quotaShare: result.peakWritesPerSecond / SECRET_WRITE_QUOTA_PER_SECOND,
    maxVersionsPerSecret,
    lwaCallsPerSecond,
    leadMinutes: result.leadMinutes,
    largestSecretBytes: largestSellerSecretBytes(scenario.sellers, scenario.seed ?? 7),
    writesOverSizeLimit: 0,
    runs: result.runs,
    runsHitBudget: result.runsHitBudget,
    maxRunSeconds: result.maxRunSeconds,
    simulatedRunSeconds,
    awsMs: scenario.latencies.awsMs,
    wallSeconds: result.wallSeconds,
  };
}

/** The largest per-seller secret among `sellers` sellers with drawn token sizes. */
export function largestSellerSecretBytes(sellers: number, seed: number): number {
  const random = seededRandom(seed);
  let largest = 0;
  for (let i = 0; i < sellers; i++) {
    const bytes = sellerSecretBytes({
      sellerIdLength: simulatedSellerId(i).length,
      accessTokenBytes: drawTokenBytes(random),
      refreshTokenBytes: drawTokenBytes(random),
    });
    largest = Math.max(largest, bytes);
  }
  return largest;
}
