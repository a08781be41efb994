import { parseScheduledTime, refreshDeadline } from '../../../lambda/refresh/run-deadline';

const TICK_AT = Date.parse('2026-01-05T10:00:00Z');
const LIMITS = { runBudgetSeconds: 50, stopBeforeTimeoutSeconds: 60, tickSeconds: 60, drainSeconds: 3 };
const FIVE_MINUTES_MS = 300_000;

describe('refreshDeadline', () => {
  it('takes work until the drain before the successor is scheduled, not for the 50 s budget', () => {
    // Act: invoked 400 ms after its tick
    const deadline = refreshDeadline({
      nowMs: TICK_AT + 400,
      remainingMs: FIVE_MINUTES_MS,
      scheduledTimeMs: TICK_AT,
      limits: LIMITS,
    });

    // Assess
    expect(deadline).toEqual({ deadlineMs: TICK_AT + 57_000, rule: 'successor', windowClosed: false });
  });

  it('ends at the same instant however late a run started within its window', () => {
    // Act: throttled behind a predecessor that ended 20 s into this tick
    const deadline = refreshDeadline({
      nowMs: TICK_AT + 21_000,
      remainingMs: FIVE_MINUTES_MS,
      scheduledTimeMs: TICK_AT,
      limits: LIMITS,
    });

    // Assess
    expect(deadline.deadlineMs).toBe(TICK_AT + 57_000);
    expect(deadline.windowClosed).toBe(false);
  });

  it('reports a closed window to a run that starts after it, so it can end at once', () => {
    // Act
    const atDeadline = refreshDeadline({
      nowMs: TICK_AT + 57_000,
      remainingMs: FIVE_MINUTES_MS,
      scheduledTimeMs: TICK_AT,
      limits: LIMITS,
    });
    const afterSuccessorDue = refreshDeadline({
      nowMs: TICK_AT + 61_000,
      remainingMs: FIVE_MINUTES_MS,
      scheduledTimeMs: TICK_AT,
      limits: LIMITS,
    });

    // Assess
    expect(atDeadline).toMatchObject({ rule: 'successor', windowClosed: true });
    expect(afterSuccessorDue).toMatchObject({ rule: 'successor', windowClosed: true });
  });

  it('never takes work past the stop-before-timeout margin, whichever rule applies', () => {
    // Act: a 100 s timeout leaves 40 s before the margin
    const successor = refreshDeadline({
      nowMs: TICK_AT,
      remainingMs: 100_000,
      scheduledTimeMs: TICK_AT,
      limits: LIMITS,
    });
    const budget = refreshDeadline({ nowMs: TICK_AT, remainingMs: 100_000, limits: LIMITS });

    // Assess
    expect(successor.deadlineMs).toBe(TICK_AT + 40_000);
    expect(budget.deadlineMs).toBe(TICK_AT + 40_000);
  });

  it('works for the budget when the event has no scheduled time (manual invoke, CLI)', () => {
    // Act
    const deadline = refreshDeadline({
      nowMs: TICK_AT + 5_000,
      remainingMs: FIVE_MINUTES_MS,
      limits: LIMITS,
    });

    // Assess
    expect(deadline).toEqual({ deadlineMs: TICK_AT + 55_000, rule: 'budget', windowClosed: false });
  });

  it('works for the budget on a cron schedule, whose tick is unknown', () => {
    // Act
    const deadline = refreshDeadline({
      nowMs: TICK_AT,
      remainingMs: FIVE_MINUTES_MS,
      scheduledTimeMs: TICK_AT,
      limits: { ...LIMITS, tickSeconds: undefined },
    });

    // Assess
    expect(deadline).toEqual({ deadlineMs: TICK_AT + 50_000, rule: 'budget', windowClosed: false });
  });

  it('scales with a longer tick and another drain', () => {
    // Act: rate(5 minutes), 10 s drain, 15-minute timeout
    const deadline = refreshDeadline({
      nowMs: TICK_AT + 1_000,
      remainingMs: 900_000,
      scheduledTimeMs: TICK_AT,
      limits: { ...LIMITS, tickSeconds: 300, drainSeconds: 10 },
    });

    // Assess
    expect(deadline.deadlineMs).toBe(TICK_AT + 290_000);
  });
});

describe('parseScheduledTime', () => {
  const now = TICK_AT + 300;

  it.each([
    ['2026-01-05T10:00:00Z', TICK_AT],
    ['2026-01-05T10:00:00.250Z', TICK_AT + 250],
    ['2026-01-05T09:59:00Z', TICK_AT - 60_000],
  ])('reads %s', (raw, expected) => {
    expect(parseScheduledTime({ scheduledTime: raw }, now, 60)).toEqual({
      kind: 'valid',
      scheduledTimeMs: expected,
    });
  });

  it.each([undefined, null, 'tick', 42, {}, { source: 'aws.scheduler' }])(
    'treats an event without the field (%p) as absent',
    (event) => {
      expect(parseScheduledTime(event, now, 60)).toEqual({ kind: 'absent' });
    },
  );

  it.each([
    ['an unresolved placeholder', '<aws.scheduler.scheduled-time>'],
    ['a number', 1767607200000],
    ['null', null],
    ['a local time', '2026-01-05T10:00:00'],
    ['an offset', '2026-01-05T10:00:00+01:00'],
    ['a date only', '2026-01-05'],
    ['a day that does not exist', '2026-02-30T10:00:00Z'],
    ['an hour that does not exist', '2026-01-05T24:00:00Z'],
    ['a time with trailing text', '2026-01-05T10:00:00Z; DROP'],
    ['a time more than one tick ahead', '2026-01-05T10:01:01Z'],
  ])('rejects %s', (_name, raw) => {
    expect(parseScheduledTime({ scheduledTime: raw }, now, 60)).toMatchObject({ kind: 'invalid' });
  });

  it('allows a little clock skew, up to one tick ahead', () => {
    expect(parseScheduledTime({ scheduledTime: '2026-01-05T10:00:30Z' }, now, 60)).toMatchObject({
      kind: 'valid',
    });
  });
});
