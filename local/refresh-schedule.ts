/**
 * Stands in for the EventBridge Scheduler rate schedule: runs `tick` every `everyMs`. Runs never
 * overlap (a slow run delays the next one), and stop() waits for a run in progress, because a
 * refresh that got a new token from LWA must finish writing it before storage goes away.
 */
export class RefreshSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.schedule(this.everyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const startedAt = Date.now();
      // tick() reports its own failures; a rejection here must not end the schedule.
      this.running = this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
          this.schedule(Math.max(0, this.everyMs - (Date.now() - startedAt)));
        });
    }, delayMs);
  }
}
