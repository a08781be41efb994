/**
 * Discrete-event time for the fleet simulation. `sleep` registers a timer instead of waiting;
 * `run` lets every promise callback settle, then jumps the clock to the earliest timer and wakes
 * it (and every other timer due at that instant), until the work finishes. A day of refreshes
 * runs in seconds, and concurrent sleepers interleave exactly as they would in real time.
 */
export class SimulatedTime {
  private current: number;
  private readonly heap: Timer[] = [];
  private sequence = 0;

  constructor(startMs: number) {
    this.current = startMs;
  }

  readonly clock = (): number => this.current;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((wake) => {
      this.push({ at: this.current + Math.max(0, ms), sequence: this.sequence++, wake });
    });

  /** Moves the clock forward between runs; never backwards, and never past a pending timer. */
  advanceTo(ms: number): void {
    const next = this.heap[0];
    if (next && next.at < ms) throw new Error('cannot skip over a pending timer');
    this.current = Math.max(this.current, ms);
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const tracked = work.finally(() => {
      settled = true;
    });
    // Keeps an early rejection from being reported as unhandled while timers still run.
    tracked.catch(() => {});
    for (;;) {
      await drainCallbacks();
      if (settled) return tracked;
      const next = this.pop();
      if (!next) throw new Error('simulation is blocked: the work waits on something other than a timer');
      this.current = Math.max(this.current, next.at);
      next.wake();
      while (this.heap.length > 0 && (this.heap[0] as Timer).at <= this.current) this.pop()?.wake();
    }
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(timer, heap[parent] as Timer)) break;
      heap[i] = heap[parent] as Timer;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right] as Timer, heap[left] as Timer) ? right : left;
      if (!earlier(heap[child] as Timer, last)) break;
      heap[i] = heap[child] as Timer;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

interface Timer {
  readonly at: number;
  readonly sequence: number;
  readonly wake: () => void;
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.sequence < b.sequence);
}

/** setImmediate runs only once the microtask queue is empty, i.e. once every awaiting chain has moved on. */
function drainCallbacks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A small seeded PRNG (mulberry32), so a simulation is reproducible run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
