import type { Sleep } from '../shared/backoff';
import type { Clock } from '../shared/clock';

/**
 * Starts calls only on a grid of `rate` slots per second aligned to the epoch (second s holds the
 * slots s × 1000 + j × 1000/rate ms, j = 0 … rate − 1), at most one call per slot, so at most
 * `rate` calls start in any one-second window. Secrets Manager's 50 writes/s quota is per account
 * and shared with every other writer, so the refresher never bursts above its own share.
 *
 * The grid is the same for every limiter, so it also holds across runs: the refresh function has
 * reserved concurrency 1, and a later run's limiter (even in a new execution environment) only
 * uses slots after the earlier run's last write, never a slot closer to it than 1000/rate ms.
 */
export class RateLimiter {
  /** The first slot not yet taken: its second, and its index within that second. */
  private nextSecond = Number.NEGATIVE_INFINITY;
  private nextIndex = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {
    if (!(Number.isInteger(ratePerSecond) && ratePerSecond >= 1)) {
      throw new RangeError('ratePerSecond must be a whole number of writes per second, at least 1');
    }
  }

  async acquire(): Promise<void> {
    const now = this.clock();
    let [second, index] = this.firstSlotAtOrAfter(now);
    if (second < this.nextSecond || (second === this.nextSecond && index < this.nextIndex)) {
      second = this.nextSecond;
      index = this.nextIndex;
    }
    this.nextSecond = index + 1 === this.ratePerSecond ? second + 1 : second;
    this.nextIndex = (index + 1) % this.ratePerSecond;
    const slot = this.slotTime(second, index);
    if (slot > now) await this.sleep(slot - now);
  }

  /**
   * Slot times are whole seconds plus a fraction, so a slot and the same slot a second later are
   * exactly 1000 ms apart; the index is corrected for rounding so the slot is never before `now`.
   */
  private firstSlotAtOrAfter(now: number): [second: number, index: number] {
    let second = Math.floor(now / 1000);
    let index = Math.ceil(((now - second * 1000) * this.ratePerSecond) / 1000);
    if (index > 0 && this.slotTime(second, index - 1) >= now) index--;
    while (this.slotTime(second, index) < now) index++;
    if (index >= this.ratePerSecond) {
      second += Math.floor(index / this.ratePerSecond);
      index %= this.ratePerSecond;
    }
    return [second, index];
  }

  private slotTime(second: number, index: number): number {
    return second * 1000 + (index * 1000) / this.ratePerSecond;
  }
}

/** At most `limit` holders at once; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('limit must be at least 1');
  }

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiters.shift();
      // Hand the slot straight to the next waiter, so `active` never over-counts.
      if (next) next();
      else this.active--;
    }
  }
}
