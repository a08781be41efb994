import { toEpochSeconds } from './clock';

export const DEFAULT_REFRESH_LEAD_SECONDS = 600;
/** Random spread so sellers onboarded in one burst don't all come due in the same minute. */
export const DEFAULT_REFRESH_SPREAD_SECONDS = 300;

/**
 * Secrets Manager keeps every version for 24 hours and caps a secret at 100, and advises at most
 * one write per secret every 10 minutes on a sustained basis (invariant 12).
 */
export const DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS = 600;

export interface RefreshScheduleInput {
  /** When LWA issued the token, epoch ms (taken just before the request, so it errs early). */
  readonly issuedAtMs: number;
  /** The `expires_in` LWA actually returned; never assumed to be 3600. */
  readonly expiresInSeconds: number;
  readonly leadSeconds: number;
  readonly spreadSeconds: number;
  /**
   * The next refresh is never sooner than this after `issuedAt`, the time of this write, even if
   * the token expires first. The refresher passes its floor (invariant 12); an authorization
   * passes none, because one write a year per seller is not a sustained rate.
   * @default 0
   */
  readonly minWriteIntervalSeconds?: number;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
}

export interface RefreshSchedule {
  readonly accessTokenExpiresAt: number;
  readonly nextRefreshAt: number;
}

/**
 * nextRefreshAt = issuedAt + expires_in − lead − spread (DESIGN.md, invariant 3).
 * For short-lived tokens the lead and spread are capped at half the lifetime, so a token that
 * lives 120 s is refreshed after ~60 s rather than scheduled in the past and refreshed every tick.
 */
export function computeRefreshSchedule(input: RefreshScheduleInput): RefreshSchedule {
  const bounds = scheduleBounds(input);
  const spread = Math.min(Math.floor(input.random() * (input.spreadSeconds + 1)), bounds.maxSpread);
  return {
    accessTokenExpiresAt: bounds.accessTokenExpiresAt,
    nextRefreshAt: Math.max(bounds.accessTokenExpiresAt - bounds.lead - spread, bounds.notBefore),
  };
}

/**
 * The soonest `computeRefreshSchedule` could schedule this token, whatever the spread draw: a
 * stored token whose earliest refresh is still ahead needs no refresh yet.
 */
export function earliestRefreshAt(input: Omit<RefreshScheduleInput, 'random'>): number {
  const bounds = scheduleBounds(input);
  return Math.max(bounds.accessTokenExpiresAt - bounds.lead - bounds.maxSpread, bounds.notBefore);
}

function scheduleBounds(input: Omit<RefreshScheduleInput, 'random'>) {
  const issuedAt = toEpochSeconds(input.issuedAtMs);
  const lifetime = Math.max(0, Math.floor(input.expiresInSeconds));
  const maxAhead = Math.floor(lifetime / 2);
  const lead = Math.min(input.leadSeconds, maxAhead);
  return {
    accessTokenExpiresAt: issuedAt + lifetime,
    lead,
    maxSpread: Math.max(0, Math.min(input.spreadSeconds, maxAhead - lead)),
    notBefore: issuedAt + (input.minWriteIntervalSeconds ?? 0),
  };
}
