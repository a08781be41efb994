import {
  computeRefreshSchedule,
  DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS,
  DEFAULT_REFRESH_LEAD_SECONDS,
  DEFAULT_REFRESH_SPREAD_SECONDS,
  earliestRefreshAt,
} from '../../../lambda/shared/scheduling';

const ISSUED_AT_MS = Date.parse('2026-11-24T20:19:26.000Z');
const ISSUED_AT = ISSUED_AT_MS / 1000;

const schedule = (expiresInSeconds: number, random: number, issuedAtMs = ISSUED_AT_MS) =>
  computeRefreshSchedule({
    issuedAtMs,
    expiresInSeconds,
    leadSeconds: DEFAULT_REFRESH_LEAD_SECONDS,
    spreadSeconds: DEFAULT_REFRESH_SPREAD_SECONDS,
    random: () => random,
  });

describe('computeRefreshSchedule', () => {
  it('defaults to a 10 minute lead and a spread of up to 5 minutes', () => {
    // Assess
    expect(DEFAULT_REFRESH_LEAD_SECONDS).toBe(600);
    expect(DEFAULT_REFRESH_SPREAD_SECONDS).toBe(300);
  });

  it('schedules issuedAt + expires_in − lead when the spread draws zero', () => {
    // Act
    const result = schedule(3600, 0);

    // Assess
    expect(result).toEqual({ accessTokenExpiresAt: ISSUED_AT + 3600, nextRefreshAt: ISSUED_AT + 3000 });
  });

  it('subtracts at most the whole spread when the random draw is just below 1', () => {
    // Act
    const result = schedule(3600, 0.999_999);

    // Assess
    expect(result.nextRefreshAt).toBe(ISSUED_AT + 3600 - 600 - 300);
  });

  it('uses the expires_in LWA returned instead of assuming 3600', () => {
    // Act
    const long = schedule(7200, 0);
    const short = schedule(1800, 0);

    // Assess
    expect(long).toEqual({ accessTokenExpiresAt: ISSUED_AT + 7200, nextRefreshAt: ISSUED_AT + 6600 });
    expect(short).toEqual({ accessTokenExpiresAt: ISSUED_AT + 1800, nextRefreshAt: ISSUED_AT + 1200 });
  });

  it('caps lead and spread at half the lifetime for short-lived tokens', () => {
    // Act
    const twoMinutes = schedule(120, 0.999);
    const twentyFiveMinutes = schedule(1500, 0.999);

    // Assess
    expect(twoMinutes).toEqual({ accessTokenExpiresAt: ISSUED_AT + 120, nextRefreshAt: ISSUED_AT + 60 });
    // lead 600 fits in 750; the spread is capped at the remaining 150.
    expect(twentyFiveMinutes.nextRefreshAt).toBe(ISSUED_AT + 1500 - 750);
  });

  it('never schedules before half the lifetime has passed, nor after the expiry', () => {
    // Prepare
    const lifetimes = [1, 2, 59, 120, 601, 1199, 1200, 1500, 1800, 3600, 7200, 86_400];
    const draws = [0, 0.25, 0.5, 0.999_999];

    for (const lifetime of lifetimes) {
      for (const draw of draws) {
        // Act
        const { accessTokenExpiresAt, nextRefreshAt } = schedule(lifetime, draw);

        // Assess
        expect(accessTokenExpiresAt).toBe(ISSUED_AT + lifetime);
        expect(nextRefreshAt).toBeLessThanOrEqual(accessTokenExpiresAt);
        expect(nextRefreshAt).toBeGreaterThanOrEqual(ISSUED_AT + lifetime / 2);
      }
    }
  });

  it('works in whole epoch seconds, rounding the issue time and a fractional expires_in down', () => {
    // Act
    const result = schedule(3600.9, 0, ISSUED_AT_MS + 999);

    // Assess
    expect(result).toEqual({ accessTokenExpiresAt: ISSUED_AT + 3600, nextRefreshAt: ISSUED_AT + 3000 });
  });

  it('treats a non-positive lifetime as already expired rather than scheduling in the future', () => {
    // Act
    const result = schedule(-5, 0.5);

    // Assess
    expect(result).toEqual({ accessTokenExpiresAt: ISSUED_AT, nextRefreshAt: ISSUED_AT });
  });

  describe('with a minimum interval between writes of one secret (invariant 12)', () => {
    const floored = (expiresInSeconds: number, random: number) =>
      computeRefreshSchedule({
        issuedAtMs: ISSUED_AT_MS,
        expiresInSeconds,
        leadSeconds: DEFAULT_REFRESH_LEAD_SECONDS,
        spreadSeconds: DEFAULT_REFRESH_SPREAD_SECONDS,
        minWriteIntervalSeconds: DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS,
        random: () => random,
      });

    it("defaults to Secrets Manager's advice of one write per 10 minutes", () => {
      expect(DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS).toBe(600);
    });

    it('never schedules the next refresh sooner than the interval after this write', () => {
      // Act
      const fifteenMinutes = floored(900, 0.999);
      const fiveMinutes = floored(300, 0);
      const oneHour = floored(3600, 0.999_999);

      // Assess: the floor wins over half the lifetime, even past the expiry
      expect(fifteenMinutes).toEqual({
        accessTokenExpiresAt: ISSUED_AT + 900,
        nextRefreshAt: ISSUED_AT + 600,
      });
      expect(fiveMinutes).toEqual({ accessTokenExpiresAt: ISSUED_AT + 300, nextRefreshAt: ISSUED_AT + 600 });
      expect(oneHour.nextRefreshAt).toBe(ISSUED_AT + 2700);
    });

    it('keeps every lifetime and draw at least the interval apart', () => {
      for (const lifetime of [1, 120, 300, 599, 600, 900, 1199, 1200, 1500, 3600, 86_400]) {
        for (const draw of [0, 0.5, 0.999_999]) {
          // Act
          const { nextRefreshAt } = floored(lifetime, draw);

          // Assess
          expect(nextRefreshAt).toBeGreaterThanOrEqual(ISSUED_AT + 600);
        }
      }
    });
  });

  it('reports the earliest refresh time any spread draw could schedule', () => {
    for (const lifetime of [120, 900, 1500, 3600]) {
      for (const minWriteIntervalSeconds of [0, 600]) {
        // Prepare
        const input = {
          issuedAtMs: ISSUED_AT_MS,
          expiresInSeconds: lifetime,
          leadSeconds: DEFAULT_REFRESH_LEAD_SECONDS,
          spreadSeconds: DEFAULT_REFRESH_SPREAD_SECONDS,
          minWriteIntervalSeconds,
        };

        // Act
        const earliest = earliestRefreshAt(input);

        // Assess
        expect(earliest).toBe(computeRefreshSchedule({ ...input, random: () => 0.999_999 }).nextRefreshAt);
        for (const draw of [0, 0.3, 0.7]) {
          expect(
            computeRefreshSchedule({ ...input, random: () => draw }).nextRefreshAt,
          ).toBeGreaterThanOrEqual(earliest);
        }
      }
    }
  });
});
