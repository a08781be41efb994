/**
 * When a refresh run stops taking work. Pure: the handler and the fleet simulation pass the clock
 * reading, the invocation's remaining time and the tick's scheduled time, so both decide alike.
 */

export interface RunDeadlineLimits {
  /** Work time of a run whose successor's start is unknown (`REFRESH_RUN_BUDGET_SECONDS`). */
  readonly runBudgetSeconds: number;
  /** Time kept free before the Lambda timeout (`REFRESH_STOP_BEFORE_TIMEOUT_SECONDS`). */
  readonly stopBeforeTimeoutSeconds: number;
  /** The schedule's period (`REFRESH_TICK_SECONDS`); unset for cron and other expressions. */
  readonly tickSeconds?: number;
  /** Time in-flight refreshes get to finish before the successor is due (`REFRESH_DRAIN_SECONDS`). */
  readonly drainSeconds: number;
}

export interface RunDeadline {
  /** Epoch ms after which the run takes no new seller. */
  readonly deadlineMs: number;
  /**
   * `successor`: the run lasts until shortly before the next tick's scheduled start. `budget`:
   * the successor's start is unknown, so the run works for the fixed budget.
   */
  readonly rule: 'successor' | 'budget';
  /**
   * True when the successor rule applies and its window had already closed when the run started
   * (it waited, throttled, behind a long predecessor).
   */
  readonly windowClosed: boolean;
}

/**
 * The refresh function has reserved concurrency 1, so a tick that fires while a run is still
 * going is throttled and retried until that run ends. A run may therefore take work until just
 * before its successor is scheduled, `scheduledTime + tick − drain`, and use the whole minute
 * instead of a fixed budget; the drain lets its in-flight refreshes finish so the successor is not
 * held up. Never past `remaining − stopBeforeTimeout`, whichever rule applies. Without a scheduled
 * time or a known tick (manual invoke, CLI, cron schedule) the fixed budget applies.
 */
export function refreshDeadline(input: {
  readonly nowMs: number;
  readonly remainingMs: number;
  /** The tick's `<aws.scheduler.scheduled-time>`, already parsed (see parseScheduledTime). */
  readonly scheduledTimeMs?: number;
  readonly limits: RunDeadlineLimits;
}): RunDeadline {
  const { nowMs, remainingMs, scheduledTimeMs, limits } = input;
  const beforeTimeout = nowMs + remainingMs - limits.stopBeforeTimeoutSeconds * 1000;
  if (scheduledTimeMs !== undefined && limits.tickSeconds !== undefined) {
    const successorDue = scheduledTimeMs + limits.tickSeconds * 1000;
    const deadlineMs = Math.min(successorDue - limits.drainSeconds * 1000, beforeTimeout);
    return { deadlineMs, rule: 'successor', windowClosed: deadlineMs <= nowMs };
  }
  return {
    deadlineMs: Math.min(nowMs + limits.runBudgetSeconds * 1000, beforeTimeout),
    rule: 'budget',
    windowClosed: false,
  };
}

/** `2022-03-22T18:59:43Z`, as EventBridge Scheduler writes it; fractions of a second allowed. */
const SCHEDULED_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export type ScheduledTime =
  | { readonly kind: 'absent' }
  | { readonly kind: 'valid'; readonly scheduledTimeMs: number }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Reads `scheduledTime` from the schedule's input. A missing field (manual invoke, an older
 * schedule) is `absent`; anything else that is not an ISO UTC time of the past or of at most one
 * tick ahead is `invalid`, so a garbled input can't stretch a run: both fall back to the budget.
 */
export function parseScheduledTime(event: unknown, nowMs: number, tickSeconds?: number): ScheduledTime {
  if (typeof event !== 'object' || event === null || !('scheduledTime' in event)) return { kind: 'absent' };
  const raw = (event as { scheduledTime: unknown }).scheduledTime;
  if (typeof raw !== 'string' || !SCHEDULED_TIME_PATTERN.test(raw)) {
    return {
      kind: 'invalid',
      reason: 'scheduledTime is not an ISO 8601 UTC time such as 2026-01-05T10:00:00Z',
    };
  }
  const scheduledTimeMs = Date.parse(raw);
  // Date.parse rolls 2026-02-30 over to March; a round trip through the calendar catches it.
  if (
    !Number.isFinite(scheduledTimeMs) ||
    new Date(scheduledTimeMs).toISOString().slice(0, 19) !== raw.slice(0, 19)
  ) {
    return { kind: 'invalid', reason: 'scheduledTime is not a calendar time' };
  }
  if (scheduledTimeMs > nowMs + (tickSeconds ?? 60) * 1000) {
    return { kind: 'invalid', reason: 'scheduledTime is more than one tick ahead of the clock' };
  }
  return { kind: 'valid', scheduledTimeMs };
}
