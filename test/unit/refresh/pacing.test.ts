import { RateLimiter, Semaphore } from '../../../lambda/refresh/pacing';

/** Lets every pending promise callback run; no wall-clock time is spent waiting. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A virtual clock whose sleeps resolve in time order as the test advances it. */
class VirtualTime {
  now = 1_000_000;
  private timers: Array<{ at: number; seq: number; wake: () => void }> = [];
  private seq = 0;
  readonly clock = () => this.now;
  readonly sleep = (ms: number) =>
    new Promise<void>((wake) => {
      this.timers.push({ at: this.now + ms, seq: this.seq++, wake });
    });

  /** Fires timers in order until `work` settles. */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const tracked = work.finally(() => {
      done = true;
    });
    await settle();
    while (!done) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) throw new Error('work is blocked with no timer pending');
      this.now = Math.max(this.now, next.at);
      next.wake();
      await settle();
    }
    return tracked;
  }
}

/** The most starts that fall in any half-open window [t, t + windowMs). */
function busiestWindow(starts: number[], windowMs = 1000): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let busiest = 0;
  for (const [i, start] of sorted.entries()) {
    const inWindow = sorted.slice(i).filter((t) => t < start + windowMs).length;
    busiest = Math.max(busiest, inWindow);
  }
  return busiest;
}

describe('RateLimiter', () => {
  it('never starts more than 20 of 100 sequential acquires in any one-second window at 20/s', async () => {
    // Prepare
    let now = 5_000;
    const sleep = jest.fn(async (ms: number) => {
      now += ms;
    });
    const limiter = new RateLimiter(20, () => now, sleep);
    const starts: number[] = [];

    // Act
    for (let i = 0; i < 100; i++) {
      await limiter.acquire();
      starts.push(now);
    }

    // Assess
    expect(busiestWindow(starts)).toBe(20);
    expect(starts[0]).toBe(5_000);
    expect(starts.at(-1)).toBe(5_000 + 99 * 50);
  });

  it('never starts more than 20 in any one-second window when 100 callers acquire at once', async () => {
    // Prepare
    const time = new VirtualTime();
    const limiter = new RateLimiter(20, time.clock, time.sleep);
    const starts: number[] = [];

    // Act
    await time.runUntil(
      Promise.all(
        Array.from({ length: 100 }, async () => {
          await limiter.acquire();
          starts.push(time.now);
        }),
      ),
    );

    // Assess
    expect(starts).toHaveLength(100);
    expect(busiestWindow(starts)).toBe(20);
    expect(new Set(starts).size).toBe(100);
  });

  it('holds the account-wide ceiling of 50/s when configured to it', async () => {
    // Prepare
    const time = new VirtualTime();
    const limiter = new RateLimiter(50, time.clock, time.sleep);
    const starts: number[] = [];

    // Act
    await time.runUntil(
      Promise.all(
        Array.from({ length: 200 }, async () => {
          await limiter.acquire();
          starts.push(time.now);
        }),
      ),
    );

    // Assess
    expect(busiestWindow(starts)).toBe(50);
  });

  it('does not let an idle period build up a burst', async () => {
    // Prepare
    let now = 0;
    const limiter = new RateLimiter(
      20,
      () => now,
      async (ms) => {
        now += ms;
      },
    );
    await limiter.acquire();
    now += 60_000;
    const starts: number[] = [];

    // Act
    for (let i = 0; i < 40; i++) {
      await limiter.acquire();
      starts.push(now);
    }

    // Assess
    expect(busiestWindow(starts)).toBe(20);
  });

  it('does not sleep when calls are already spaced out', async () => {
    // Prepare
    let now = 0;
    const sleep = jest.fn(async () => {});
    const limiter = new RateLimiter(20, () => now, sleep);

    // Act
    for (let i = 0; i < 5; i++) {
      await limiter.acquire();
      now += 50;
    }

    // Assess
    expect(sleep).not.toHaveBeenCalled();
  });

  it('keeps the cap across runs: a fresh limiter after another one ended never crowds its last second', async () => {
    // Prepare: one run's limiter, then the next run's (a new execution environment) 1 ms after
    // the first one's last write, as with reserved concurrency 1
    let now = 1_000;
    const sleep = async (ms: number) => {
      now += ms;
    };
    const starts: number[] = [];
    const first = new RateLimiter(20, () => now, sleep);
    for (let i = 0; i < 20; i++) {
      await first.acquire();
      starts.push(now);
    }
    now += 1;
    const second = new RateLimiter(20, () => now, sleep);

    // Act
    for (let i = 0; i < 20; i++) {
      await second.acquire();
      starts.push(now);
    }

    // Assess: the window [1000, 2000) straddles both runs
    expect(starts.slice(0, 20).at(-1)).toBe(1_950);
    expect(busiestWindow(starts)).toBe(20);
    expect(starts[20]).toBe(2_000);
  });

  it('places every write on the epoch-aligned grid of 1000/rate ms, the first slot at or after now', async () => {
    // Prepare
    const time = new VirtualTime();
    time.now = 1_000_013;
    const limiter = new RateLimiter(3, time.clock, time.sleep);
    const starts: number[] = [];

    // Act
    await time.runUntil(
      Promise.all(
        Array.from({ length: 7 }, async () => {
          await limiter.acquire();
          starts.push(time.now);
        }),
      ),
    );

    // Assess: slots at 1000/3 ms; a window from any slot holds exactly three
    expect(starts.map((t) => Math.round(t * 3))).toEqual([
      3_001_000, 3_002_000, 3_003_000, 3_004_000, 3_005_000, 3_006_000, 3_007_000,
    ]);
    expect(busiestWindow(starts)).toBe(3);
  });

  it('keeps the cap across runs on a grid whose slots are not whole milliseconds', async () => {
    // Prepare: two limiters at 7/s, the second starting mid-second after the first's last write
    const time = new VirtualTime();
    time.now = Date.parse('2026-01-05T10:00:00.000Z') + 0.4;
    const starts: number[] = [];
    const acquireAll = async (limiter: RateLimiter, count: number) => {
      await time.runUntil(
        Promise.all(
          Array.from({ length: count }, async () => {
            await limiter.acquire();
            starts.push(time.now);
          }),
        ),
      );
    };
    await acquireAll(new RateLimiter(7, time.clock, time.sleep), 10);
    time.now += 0.001;

    // Act
    await acquireAll(new RateLimiter(7, time.clock, time.sleep), 10);

    // Assess
    expect(starts).toHaveLength(20);
    expect(busiestWindow(starts)).toBe(7);
  });

  it.each([1.5, 0.5])('refuses a rate of %p writes per second, which has no whole-second grid', (rate) => {
    // Assess
    expect(
      () =>
        new RateLimiter(
          rate,
          () => 0,
          async () => {},
        ),
    ).toThrow(RangeError);
  });

  it.each([0, -1, Number.NaN])('refuses a rate of %p', (rate) => {
    // Assess
    expect(
      () =>
        new RateLimiter(
          rate,
          () => 0,
          async () => {},
        ),
    ).toThrow(RangeError);
  });
});

describe('Semaphore', () => {
  it('never exceeds its limit under 50 concurrent users and serves them in arrival order', async () => {
    // Prepare
    const semaphore = new Semaphore(4);
    const releases = new Map<number, () => void>();
    const started: number[] = [];
    let active = 0;
    let mostActive = 0;
    const users = Array.from({ length: 50 }, (_, i) =>
      semaphore.use(async () => {
        started.push(i);
        active++;
        mostActive = Math.max(mostActive, active);
        await new Promise<void>((release) => releases.set(i, release));
        active--;
        return i;
      }),
    );

    // Act
    await settle();
    const startedBeforeAnyRelease = [...started];
    // Release holders out of order; whoever releases, the longest waiter goes next.
    for (let round = 0; started.length < 50 || active > 0; round++) {
      const holders = [...releases.keys()];
      const pick = holders[(round * 7) % holders.length];
      if (pick === undefined) throw new Error('no holder to release');
      releases.get(pick)?.();
      releases.delete(pick);
      await settle();
    }
    const results = await Promise.all(users);

    // Assess
    expect(startedBeforeAnyRelease).toEqual([0, 1, 2, 3]);
    expect(mostActive).toBe(4);
    expect(started).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('frees the slot when the work throws', async () => {
    // Prepare
    const semaphore = new Semaphore(1);

    // Act
    const failed = semaphore.use(async () => {
      throw new Error('boom');
    });
    const next = semaphore.use(async () => 'ran');

    // Assess
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it.each([0, -1, Number.NaN])('refuses a limit of %p', (limit) => {
    // Assess
    expect(() => new Semaphore(limit)).toThrow(RangeError);
  });
});
