/**
 * Every figure the benchmark derives (percentiles, bounds, ratios, per-refresh call counts, peak
 * rates, capacity and cost) is computed here, from plain inputs and with no I/O, so that
 * test/unit/bench/arithmetic.test.ts can pin them down.
 */
import type { Prices } from './prices';

const SECONDS_PER_DAY = 86_400;

/**
 * Nearest-rank percentile of an ascending array: the smallest value with at least p % of the values
 * at or below it. p = 0 gives the minimum and p = 100 the maximum. It never interpolates, so every
 * figure it reports is one that was actually measured.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
  // Rounded before the ceiling: 99.9 / 100 * 1000 is 999.0000000000001 in floating point.
  const rank = Math.max(1, Math.ceil(Math.round(p * sorted.length * 1e4) / 1e6));
  return sorted[rank - 1] as number;
}

export interface Distribution {
  readonly count: number;
  readonly min: number;
  readonly p1: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Sorts a copy (a Float64Array sorts numerically) and reads the usual percentiles off it. */
export function distribution(values: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    min: percentile(sorted, 0),
    p1: percentile(sorted, 1),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: percentile(sorted, 100),
    mean: sum / sorted.length,
  };
}

export function median(values: ArrayLike<number>): number {
  return distribution(values).p50;
}

export function ratio(measured: number, reference: number): number {
  if (!(reference > 0)) throw new RangeError(`ratio needs a positive reference, got ${reference}`);
  return measured / reference;
}

export interface ThroughputBound {
  /** Refreshes per second the configuration allows. */
  readonly perSecond: number;
  readonly limitedBy: 'concurrency' | 'write cap';
}

/**
 * Issue 7's bound: `min(concurrency / per-refresh latency, write cap)`. With `concurrency` workers
 * each busy for `latency` per refresh, no more than concurrency / latency refreshes finish per
 * second; the rate limiter allows no more than the write cap.
 */
export function throughputBound(input: {
  concurrency: number;
  perRefreshLatencyMs: number;
  writeCapPerSecond: number;
}): ThroughputBound {
  if (!(input.perRefreshLatencyMs > 0)) throw new RangeError('per-refresh latency must be positive');
  const byConcurrency = input.concurrency / (input.perRefreshLatencyMs / 1000);
  return byConcurrency < input.writeCapPerSecond
    ? { perSecond: byConcurrency, limitedBy: 'concurrency' }
    : { perSecond: input.writeCapPerSecond, limitedBy: 'write cap' };
}

/**
 * The time a refresh keeps its worker busy, excluding time spent queueing for the write rate
 * limiter or an LWA slot. Queueing is what the bound is about, so counting it as latency would make
 * any measured throughput match its bound by construction (Little's law).
 */
export function serviceLatencyMs(input: {
  refreshes: number;
  /** Sum over refreshes of lease → item update wall time. */
  wallMs: number;
  rateLimiterWaitMs: number;
  lwaQueueWaitMs: number;
}): number {
  if (!(input.refreshes > 0)) throw new RangeError('no refreshes to average over');
  return (input.wallMs - input.rateLimiterWaitMs - input.lwaQueueWaitMs) / input.refreshes;
}

export interface CallsPerRefresh {
  /** Every counted call except index Query pages, per refreshed seller. */
  readonly perRefresh: number;
  readonly queryPages: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

/**
 * Per-refresh call counts from raw per-operation counts (as the counting proxy reports them,
 * e.g. `DynamoDB_20120810.UpdateItem`). Query pages are reported apart: their number depends on
 * the page size and the fleet, not on each refresh.
 */
export function callsPerRefresh(
  counts: Readonly<Record<string, number>>,
  refreshed: number,
): CallsPerRefresh {
  if (!(refreshed > 0)) throw new RangeError('no refreshed sellers to divide by');
  let perSellerCalls = 0;
  let queryPages = 0;
  const byOperation: Record<string, number> = {};
  for (const [operation, count] of Object.entries(counts)) {
    byOperation[operation] = count / refreshed;
    if (isQuery(operation)) queryPages += count;
    else perSellerCalls += count;
  }
  return { perRefresh: perSellerCalls / refreshed, queryPages, byOperation };
}

function isQuery(operation: string): boolean {
  return operation.slice(operation.lastIndexOf('.') + 1) === 'Query';
}

/**
 * The most events in any window [t, t + windowMs) of a non-decreasing series of times, which is
 * stricter than counting per calendar second. Two pointers, linear time.
 */
export function peakInWindow(timesMs: ArrayLike<number>, windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < timesMs.length; end++) {
    const t = timesMs[end] as number;
    if (end > 0 && t < (timesMs[end - 1] as number)) throw new RangeError('times must be non-decreasing');
    while ((timesMs[start] as number) <= t - windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/**
 * Mean time between two refreshes of one seller: the refresher schedules `expires_in − lead −
 * spread` with the spread uniform over 0…spread (so spread/2 on average), and a seller that comes
 * due waits for the next tick (tick/2 on average) before the new token is issued.
 */
export function meanRefreshIntervalSeconds(input: {
  expiresInSeconds: number;
  leadSeconds: number;
  spreadSeconds: number;
  tickSeconds: number;
}): number {
  return input.expiresInSeconds - input.leadSeconds - input.spreadSeconds / 2 + input.tickSeconds / 2;
}

/**
 * How many sellers one refresher keeps fresh: it writes at most `cap` per second, and a run takes
 * work until `drain` seconds before its successor's scheduled start, so for `tick − drain` of every
 * `tick` seconds (57 of 60: 0.95); each seller needs one write per refresh interval.
 */
export function fleetCapacity(input: {
  writeCapPerSecond: number;
  tickSeconds: number;
  drainSeconds: number;
  meanRefreshIntervalSeconds: number;
}): number {
  if (!(input.tickSeconds > 0)) throw new RangeError('the tick must be positive');
  const utilisation = Math.max(0, input.tickSeconds - input.drainSeconds) / input.tickSeconds;
  return input.writeCapPerSecond * utilisation * input.meanRefreshIntervalSeconds;
}

export interface CostInput {
  readonly sellers: number;
  readonly refreshesPerSellerPerDay: number;
  /** GetSecretValue + PutSecretValue (+ CreateSecret) per refresh, measured. */
  readonly secretsManagerCallsPerRefresh: number;
  /**
   * KMS requests per refresh: one per GetSecretValue (Decrypt) and PutSecretValue (GenerateDataKey).
   * Defaults to `secretsManagerCallsPerRefresh`; calls that touch no secret value, such as
   * UpdateSecretVersionStage, make none.
   */
  readonly kmsRequestsPerRefresh?: number;
  /** UpdateItem calls per refresh, measured. */
  readonly updateItemsPerRefresh: number;
  /**
   * Index writes per refresh. The `byRegion` index projects ALL attributes, so every update
   * writes the index once, and an update that changes `nextRefreshAt` (its sort key) twice.
   */
  readonly indexWritesPerRefresh: number;
  /** Size of a sellers table item; a write costs one unit per started KB. */
  readonly itemSizeKb: number;
  /** Lambda time a refresh adds to a run (the run's wall time divided by the sellers it refreshed). */
  readonly lambdaSecondsPerRefresh: number;
  readonly lambdaMemoryGb: number;
  readonly invocationsPerDay: number;
  /** Wall time of a run with nothing due: the per-invocation floor. */
  readonly idleRunSeconds: number;
  /** Query pages a run with nothing due reads (one per region). */
  readonly idleQueryPagesPerRun: number;
}

export interface VariableCost {
  readonly secretStorage: number;
  readonly secretsManagerApi: number;
  readonly kmsRequests: number;
  readonly dynamoDbWrites: number;
  readonly dynamoDbReads: number;
  readonly lambdaCompute: number;
  readonly total: number;
}

export interface FixedCost {
  readonly lambdaRequests: number;
  readonly lambdaIdleCompute: number;
  readonly dynamoDbIdleReads: number;
  readonly kmsKey: number;
  readonly total: number;
}

export interface MonthlyCost {
  /** USD per month that grows with the fleet, for `sellers` sellers. */
  readonly variable: VariableCost;
  /** USD per month one deployment pays whatever its size. */
  readonly fixed: FixedCost;
  readonly total: number;
  readonly refreshesPerMonth: number;
  /**
   * What each process that reads these sellers' tokens through the token client adds (one
   * GetSecretValue, hence one KMS Decrypt, per token lifetime per seller). Not in `total`.
   */
  readonly perReadingProcess: number;
}

/** Eventually consistent reads (all an index serves) cost half a unit per started 4 KB. */
const READ_UNITS_PER_4KB = 0.5;

/** Monthly cost of keeping `sellers` sellers fresh, split by item. */
export function monthlyCost(input: CostInput, prices: Prices): MonthlyCost {
  const daysPerMonth = prices.hoursPerMonth / 24;
  const refreshesPerMonth = input.sellers * input.refreshesPerSellerPerDay * daysPerMonth;
  const invocationsPerMonth = input.invocationsPerDay * daysPerMonth;
  const smCalls = refreshesPerMonth * input.secretsManagerCallsPerRefresh;
  const writeUnits =
    refreshesPerMonth *
    (input.updateItemsPerRefresh + input.indexWritesPerRefresh) *
    Math.ceil(input.itemSizeKb);
  // A Query page is billed on the total size of the items it returns, so each due item adds its size.
  const readUnits = refreshesPerMonth * (input.itemSizeKb / 4) * READ_UNITS_PER_4KB;
  const gbSeconds = refreshesPerMonth * input.lambdaSecondsPerRefresh * input.lambdaMemoryGb;
  const perCall = (calls: number, perTenThousand: number) => (calls / 10_000) * perTenThousand;

  const variable = withTotal({
    secretStorage: input.sellers * prices.secretsManager.perSecretMonth,
    secretsManagerApi: perCall(smCalls, prices.secretsManager.perTenThousandCalls),
    kmsRequests: perCall(
      refreshesPerMonth * (input.kmsRequestsPerRefresh ?? input.secretsManagerCallsPerRefresh),
      prices.kms.perTenThousandRequests,
    ),
    dynamoDbWrites: (writeUnits / 1e6) * prices.dynamoDbOnDemand.perMillionWriteUnits,
    dynamoDbReads: (readUnits / 1e6) * prices.dynamoDbOnDemand.perMillionReadUnits,
    lambdaCompute: gbSeconds * prices.lambdaArm64.perGbSecond,
  });
  const fixed = withTotal({
    lambdaRequests: (invocationsPerMonth / 1e6) * prices.lambdaArm64.perMillionRequests,
    lambdaIdleCompute:
      invocationsPerMonth * input.idleRunSeconds * input.lambdaMemoryGb * prices.lambdaArm64.perGbSecond,
    // An empty page still costs the minimum half unit.
    dynamoDbIdleReads:
      ((invocationsPerMonth * input.idleQueryPagesPerRun * READ_UNITS_PER_4KB) / 1e6) *
      prices.dynamoDbOnDemand.perMillionReadUnits,
    kmsKey: prices.kms.perKeyMonth,
  });
  const tokenReadsPerMonth = input.sellers * input.refreshesPerSellerPerDay * daysPerMonth;
  return {
    variable,
    fixed,
    total: variable.total + fixed.total,
    refreshesPerMonth,
    perReadingProcess:
      perCall(tokenReadsPerMonth, prices.secretsManager.perTenThousandCalls) +
      perCall(tokenReadsPerMonth, prices.kms.perTenThousandRequests),
  };
}

function withTotal<T extends Record<string, number>>(lines: T): T & { total: number } {
  return { ...lines, total: Object.values(lines).reduce((sum, value) => sum + value, 0) };
}

/** Refreshes per seller per day from the mean refresh interval. */
export function refreshesPerDay(meanIntervalSeconds: number): number {
  if (!(meanIntervalSeconds > 0)) throw new RangeError('the refresh interval must be positive');
  return SECONDS_PER_DAY / meanIntervalSeconds;
}

/** Scales a count observed over `observed` to a rate per `per` (e.g. GetSecretValue calls per 10,000 reads). */
export function perUnit(count: number, observed: number, per: number): number {
  if (!(observed > 0)) throw new RangeError('nothing observed to scale from');
  return (count / observed) * per;
}
