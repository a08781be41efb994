import { toEpochSeconds } from './clock';

export const DEFAULT_REFRESH_LEAD_SECONDS = 600;
/** Random spread so sellers onboarded in one burst don't all come due in the same minute. */
export const DEFAULT_REFRESH_SPREAD_SECONDS = 300;

export interface RefreshScheduleInput {
  /** When LWA issued the token, epoch ms (taken just before the request, so it errs early). */
  readonly issuedAtMs: number;
  /** The `expires_in` LWA actually returned; never assumed to be 3600. */
  readonly expiresInSeconds: number;
  readonly leadSeconds: number;
  readonly spreadSeconds: number;
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
  const issuedAt = toEpochSeconds(input.issuedAtMs);
  const lifetime = Math.max(0, Math.floor(input.expiresInSeconds));
  const accessTokenExpiresAt = issuedAt + lifetime;
  const maxAhead = Math.floor(lifetime / 2);
  const lead = Math.min(input.leadSeconds, maxAhead);
  const spread = Math.min(Math.floor(input.random() * (input.spreadSeconds + 1)), maxAhead - lead);
  return { accessTokenExpiresAt, nextRefreshAt: accessTokenExpiresAt - lead - Math.max(0, spread) };
}
