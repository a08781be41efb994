/**
 * The arithmetic of issue 15's sharded-layout study (bench/fleet/simulate-sharded.ts): shard
 * assignment, shard sizes, the version rule, streaming peaks and percentiles for samples too large
 * to keep, version counting and the cost mapping. Pure, with no I/O, so
 * test/unit/bench/sharded-arithmetic.test.ts can pin each one down.
 */
import type { Region } from '../lambda/shared/regions';
import { serializeTokenSecret } from '../lambda/shared/token-secret';
import { type CostInput, peakInWindow } from './arithmetic';

/** Secrets Manager's limit on a SecretString. */
export const SECRET_STRING_MAX_BYTES = 65_536;
/** Secrets Manager refuses a new version once a secret has this many created in the last 24 hours. */
export const MAX_VERSIONS_PER_24_HOURS = 100;
/**
 * Secrets Manager's guidance: writing a secret more often than every 10 minutes creates versions
 * faster than it removes them. A shard is never scheduled sooner than this after its last write.
 */
export const SHARD_MIN_WRITE_GAP_SECONDS = 600;
/**
 * The account-and-region quota on PutSecretValue, UpdateSecret and UpdateSecretVersionStage
 * combined, shared with every other writer and not adjustable.
 */
export const SECRET_WRITE_QUOTA_PER_SECOND = 50;
/** The largest token seed 001 accepts. */
export const MAX_TOKEN_BYTES = 2048;

const DAY_MS = 86_400_000;

/**
 * FNV-1a (32 bit) of `region#sellerId`: the same number in every process and every Node version,
 * unlike anything keyed on object identity or a per-process seed. Seller ids and regions are ASCII.
 */
export function stableShardHash(sellerId: string, region: Region): number {
  return fnv1a32(`${region}#${sellerId}`);
}

/** FNV-1a, 32 bit, of an ASCII string. */
export function fnv1a32(ascii: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < ascii.length; i++) {
    hash ^= ascii.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Shards a region needs so that none holds more than `capacity` sellers. */
export function shardCountFor(sellers: number, capacity: number): number {
  if (!(capacity >= 1)) throw new RangeError('a shard holds at least one seller');
  return Math.max(1, Math.ceil(sellers / capacity));
}

/**
 * Places sellers (in arrival order) in `shardCount` shards of at most `capacity`: each goes to the
 * shard its hash names, or, when that one is full, to the next one with room. A plain `hash mod
 * count` would overfill some shards (occupancy is binomial, so shards of 50 would reach about 75
 * and break the 64 KB ceiling); probing caps them. The result is stable because it is recorded
 * once, at authorization, in the seller's item, and the hash only picks the first choice.
 */
export function assignShards(hashes: ArrayLike<number>, shardCount: number, capacity: number): Int32Array {
  if (hashes.length > shardCount * capacity) {
    throw new RangeError(`${hashes.length} sellers do not fit in ${shardCount} shards of ${capacity}`);
  }
  const occupancy = new Int32Array(shardCount);
  const shardOf = new Int32Array(hashes.length);
  for (let i = 0; i < hashes.length; i++) {
    let shard = (hashes[i] as number) % shardCount;
    while ((occupancy[shard] as number) >= capacity) shard = (shard + 1) % shardCount;
    occupancy[shard] = (occupancy[shard] as number) + 1;
    shardOf[i] = shard;
  }
  return shardOf;
}

const SAMPLE_TIME = '2026-01-05T00:00:00.000Z';

/** Bytes of one seller's entry with empty tokens and an empty seller id (which appears twice). */
const ENTRY_OVERHEAD_BYTES = Buffer.byteLength(
  `"":${serializeTokenSecret({
    sellerId: '',
    region: 'NA',
    accessToken: '',
    accessTokenExpiresAt: SAMPLE_TIME,
    refreshToken: '',
    tokenType: 'bearer',
    updatedAt: SAMPLE_TIME,
  })}`,
);

/**
 * Bytes of one seller's entry in a shard, `"<sellerId>":{…today's token secret JSON…}`. Tokens and
 * seller ids are ASCII, and the timestamps always have the same length.
 */
export function shardEntryBytes(entry: {
  sellerIdLength: number;
  accessTokenBytes: number;
  refreshTokenBytes: number;
}): number {
  return ENTRY_OVERHEAD_BYTES + 2 * entry.sellerIdLength + entry.accessTokenBytes + entry.refreshTokenBytes;
}

/** Bytes of today's per-seller secret: the entry without its `"<sellerId>":` key. */
export function sellerSecretBytes(entry: {
  sellerIdLength: number;
  accessTokenBytes: number;
  refreshTokenBytes: number;
}): number {
  return shardEntryBytes(entry) - entry.sellerIdLength - 3;
}

/** Bytes of a shard secret, `{entry,entry,…}`, from its entries' bytes. */
export function shardBytes(entryBytes: readonly number[]): number {
  const sum = entryBytes.reduce((total, bytes) => total + bytes, 0);
  return 2 + sum + Math.max(0, entryBytes.length - 1);
}

/**
 * Token sizes for the study. LWA publishes no distribution; the `Atza|…` and `Atzr|…` tokens seen
 * in SP-API sample logs are 350 to 450 characters. Each is drawn log-normal around 400 bytes
 * (σ = 0.25: p99 ≈ 715 B), clamped to [100, 2,048], the range seed 001 accepts.
 */
export function drawTokenBytes(random: () => number, median = 400, sigma = 0.25): number {
  // Box-Muller; 1 − u keeps the logarithm finite when random() returns 0.
  const u = 1 - random();
  const v = random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.min(MAX_TOKEN_BYTES, Math.max(100, Math.round(median * Math.exp(sigma * normal))));
}

/**
 * When a shard comes due: when its earliest seller does, but never sooner than the version rule
 * allows after its last write (all times epoch seconds).
 */
export function shardNextRefreshAt(
  sellerNextRefreshAts: ArrayLike<number>,
  lastWriteAtSeconds: number,
  minGapSeconds = SHARD_MIN_WRITE_GAP_SECONDS,
): number {
  if (sellerNextRefreshAts.length === 0) throw new RangeError('a shard has at least one seller');
  let earliest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < sellerNextRefreshAts.length; i++) {
    earliest = Math.min(earliest, sellerNextRefreshAts[i] as number);
  }
  return Math.max(earliest, lastWriteAtSeconds + minGapSeconds);
}

/**
 * The most writes any one secret got in any `windowMs` (24 hours by default: Secrets Manager's
 * version rule). Writes are (secret index, time) pairs in time order; a counting sort groups them
 * by secret and keeps each secret's times in order.
 */
export function maxWritesPerSecretInWindow(
  secretIndexes: ArrayLike<number>,
  timesMs: ArrayLike<number>,
  secretCount: number,
  windowMs = DAY_MS,
): number {
  if (secretIndexes.length !== timesMs.length) throw new RangeError('one time per write');
  const starts = new Int32Array(secretCount + 1);
  for (let i = 0; i < secretIndexes.length; i++) {
    const secret = secretIndexes[i] as number;
    if (!(secret >= 0 && secret < secretCount)) throw new RangeError(`secret index ${secret} out of range`);
    starts[secret + 1] = (starts[secret + 1] as number) + 1;
  }
  for (let s = 0; s < secretCount; s++) starts[s + 1] = (starts[s + 1] as number) + (starts[s] as number);
  const grouped = new Float64Array(timesMs.length);
  const fill = starts.slice(0, secretCount);
  for (let i = 0; i < secretIndexes.length; i++) {
    const secret = secretIndexes[i] as number;
    grouped[fill[secret] as number] = timesMs[i] as number;
    fill[secret] = (fill[secret] as number) + 1;
  }
  let max = 0;
  for (let s = 0; s < secretCount; s++) {
    const from = starts[s] as number;
    const to = starts[s + 1] as number;
    if (to - from > max) max = Math.max(max, peakInWindow(grouped.subarray(from, to), windowMs));
  }
  return max;
}

/**
 * `peakInWindow` for a stream too long to keep (15 million LWA calls a day at 500,000 sellers):
 * times arrive in non-decreasing order, and only those inside the current window are held.
 */
export class SlidingWindowPeak {
  private ring = new Float64Array(1024);
  private head = 0;
  private size = 0;
  private last = Number.NEGATIVE_INFINITY;
  peak = 0;
  count = 0;

  constructor(private readonly windowMs: number) {}

  add(timeMs: number): void {
    if (timeMs < this.last) throw new RangeError('times must be non-decreasing');
    this.last = timeMs;
    this.count++;
    while (this.size > 0 && (this.ring[this.head] as number) <= timeMs - this.windowMs) {
      this.head = (this.head + 1) % this.ring.length;
      this.size--;
    }
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = timeMs;
    this.size++;
    this.peak = Math.max(this.peak, this.size);
  }

  private grow(): void {
    const bigger = new Float64Array(this.ring.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.ring[(this.head + i) % this.ring.length] as number;
    this.ring = bigger;
    this.head = 0;
  }
}

/**
 * Counts per whole second, for percentiles of a sample too large to keep. Values are floored to
 * the second (clamped to the range), so a percentile is the floor of the nearest-rank value; the
 * minimum is kept exactly.
 */
export class SecondsHistogram {
  private readonly counts: Float64Array;
  count = 0;
  min = Number.POSITIVE_INFINITY;

  constructor(
    private readonly lowestSeconds: number,
    highestSeconds: number,
  ) {
    this.counts = new Float64Array(highestSeconds - lowestSeconds + 1);
  }

  add(seconds: number): void {
    this.count++;
    this.min = Math.min(this.min, seconds);
    const bin = Math.min(this.counts.length - 1, Math.max(0, Math.floor(seconds) - this.lowestSeconds));
    this.counts[bin] = (this.counts[bin] as number) + 1;
  }

  /** The nearest-rank percentile (see `percentile`), floored to the second. */
  percentile(p: number): number {
    if (this.count === 0) throw new RangeError('percentile of an empty sample');
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
    const rank = Math.max(1, Math.ceil(Math.round(p * this.count * 1e4) / 1e6));
    let seen = 0;
    for (let bin = 0; bin < this.counts.length; bin++) {
      seen += this.counts[bin] as number;
      if (seen >= rank) return bin + this.lowestSeconds;
    }
    return this.counts.length - 1 + this.lowestSeconds;
  }
}

export interface LayoutCostFigures {
  /** The fleet the cost is quoted for (1,000 for "per 1,000 sellers"). */
  readonly sellers: number;
  /** 1 for today's layout; the mean shard occupancy for a sharded one. */
  readonly sellersPerSecret: number;
  /** PutSecretValue calls per secret per day, as simulated. */
  readonly writesPerSecretPerDay: number;
  /** Secrets Manager calls per write: GetSecretValue + PutSecretValue (+ UpdateSecretVersionStage). */
  readonly secretsManagerCallsPerWrite: number;
  /** KMS requests per write: one for the read and one for the write. */
  readonly kmsRequestsPerWrite: number;
  /** UpdateItem calls per write: the lease and the result, on the seller's or the shard's item. */
  readonly updateItemsPerWrite: number;
  readonly indexWritesPerWrite: number;
  readonly itemSizeKb: number;
  /** Simulated refresher run time per write. */
  readonly lambdaSecondsPerWrite: number;
  readonly lambdaMemoryGb: number;
  readonly invocationsPerDay: number;
  readonly idleRunSeconds: number;
  readonly idleQueryPagesPerRun: number;
}

/**
 * `monthlyCost` counts per secret: storage per secret, and Secrets Manager, KMS, DynamoDB and
 * Lambda per write. A layout is described to it as its secrets and their writes, so today's
 * layout (one secret per seller) and a sharded one are priced by the same lines.
 */
export function layoutCostInput(figures: LayoutCostFigures): CostInput {
  if (!(figures.sellersPerSecret >= 1)) throw new RangeError('a secret holds at least one seller');
  return {
    sellers: figures.sellers / figures.sellersPerSecret,
    refreshesPerSellerPerDay: figures.writesPerSecretPerDay,
    secretsManagerCallsPerRefresh: figures.secretsManagerCallsPerWrite,
    kmsRequestsPerRefresh: figures.kmsRequestsPerWrite,
    updateItemsPerRefresh: figures.updateItemsPerWrite,
    indexWritesPerRefresh: figures.indexWritesPerWrite,
    itemSizeKb: figures.itemSizeKb,
    lambdaSecondsPerRefresh: figures.lambdaSecondsPerWrite,
    lambdaMemoryGb: figures.lambdaMemoryGb,
    invocationsPerDay: figures.invocationsPerDay,
    idleRunSeconds: figures.idleRunSeconds,
    idleQueryPagesPerRun: figures.idleQueryPagesPerRun,
  };
}

/**
 * LWA slots a refresher needs to make `callsPerSecond` at `latencyMs` each while taking work for
 * only `budgetSeconds` of every `tickSeconds`.
 */
export function lwaSlotsNeeded(input: {
  callsPerSecond: number;
  latencyMs: number;
  budgetSeconds: number;
  tickSeconds: number;
}): number {
  const perSlot = 1000 / input.latencyMs;
  return Math.ceil((input.callsPerSecond * input.tickSeconds) / input.budgetSeconds / perSlot);
}
