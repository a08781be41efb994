import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  AppCredentialsError,
  type AppCredentialsProvider,
  withClientSecret,
} from '../shared/app-credentials';
import { type BackoffOptions, fullJitterDelay, retryWithBackoff, type Sleep } from '../shared/backoff';
import { type Clock, toEpochSeconds } from '../shared/clock';
import { LifecycleEvent, type LifecycleEventPublisher } from '../shared/lifecycle-events';
import { errorName } from '../shared/logger';
import {
  type IncompleteTokenResponse,
  type LwaClient,
  LwaError,
  type LwaTokenResponse,
} from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import {
  computeRefreshSchedule,
  DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS,
  earliestRefreshAt,
} from '../shared/scheduling';
import { DEFAULT_TOKEN_SECRET_PREFIX, grantlessSecretName } from '../shared/secret-names';
import { type SellerItem, SellerStatus, TokenKind, tokenOwnerIdentity } from '../shared/seller-table';
import { MalformedTokenSecretError, type TokenSecretValue } from '../shared/token-secret';
import type { TokenStore, WriteTokenSecretInput } from '../shared/token-store';
import { authorizeLink, planAuthorizationNotice } from './authorization-expiry';
import { type ClientSecretExpiryCheck, checkClientSecretExpiry } from './client-secret-expiry';
import type { RateLimiter, Semaphore } from './pacing';
import type { DueItem, RefreshRepository } from './refresh-repository';

export interface RefreshConfig {
  readonly regions: readonly Region[];
  readonly lwaEndpoints: Readonly<Record<Region, string>>;
  readonly kmsKeyId: string;
  readonly leadSeconds: number;
  readonly spreadSeconds: number;
  readonly concurrency: number;
  readonly leaseSeconds: number;
  /** Attempts per LWA refresh within one run before the seller is marked DEGRADED. */
  readonly lwaMaxAttempts: number;
  /** Grantless scopes to keep fresh, per region. */
  readonly grantlessScopes?: Readonly<Partial<Record<Region, readonly string[]>>>;
  /** Prefix of token secrets, for the names of grantless secrets. */
  readonly tokenSecretPrefix?: string;
  /** The API's `/authorize` URL; `Seller authorization expiring` links to it with `?region=`. */
  readonly authorizeUrl?: string;
  /**
   * Least time between two scheduled writes of one secret (invariant 12).
   * @default DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS (600)
   */
  readonly minSecretWriteIntervalSeconds?: number;
}

/** The run logs through Powertools' structured logger: outcome, seller and error code, never a token. */
export type RefreshLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface RefreshDeps {
  readonly repository: RefreshRepository;
  readonly tokens: TokenStore;
  readonly lwa: LwaClient;
  readonly appCredentials: AppCredentialsProvider;
  readonly secretWrites: RateLimiter;
  readonly lwaCalls: Semaphore;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: () => number;
  /** Backoff for retrying a transient LWA failure inside one run. */
  readonly lwaRetry: Pick<BackoffOptions, 'baseDelayMs' | 'maxDelayMs'>;
  readonly log: RefreshLog;
  /** Lifecycle events (DESIGN.md); best effort, a dropped event never changes an outcome. */
  readonly events: LifecycleEventPublisher;
  /** The once-per-run client-secret expiry check; absent without a state table. */
  readonly clientSecretExpiry?: ClientSecretExpiryCheck;
  readonly config: RefreshConfig;
}

export type SellerOutcome =
  | 'refreshed'
  | 'already-fresh'
  | 'not-leased'
  | 'reauth-required'
  | 'degraded'
  /** A permanent per-seller error seen again: retried on its backoff, not counted as news. */
  | 'still-failing'
  | 'app-fault'
  | 'lease-lost'
  | 'superseded';

export interface RefreshRunSummary {
  due: number;
  refreshed: number;
  alreadyFresh: number;
  notLeased: number;
  reauthRequired: number;
  degraded: number;
  /**
   * Sellers failing again with the same permanent error. Kept out of `degraded` (the
   * RefreshDegraded metric), so such a seller counts there once, not on every retry.
   */
  stillFailing: number;
  leaseLost: number;
  /**
   * Refreshes that a re-authorization overtook (invariant 9): the authorization's item was left
   * alone, and its tokens were put back on top if this refresh's write had landed over them.
   */
  superseded: number;
  rotationsStored: number;
  unpersistedRotations: number;
  secretWriteRetries: number;
  /**
   * Refreshable items (ACTIVE or DEGRADED) whose access token had expired when the run started.
   * Every such item is due, so it is counted from the due-query pages (see countExpired).
   */
  tokensExpired: number;
  /** Items given their missing `authorizationExpiresAt` this run (at most a few per run). */
  authorizationsBackfilled: number;
  /** `Seller authorization expiring` notices recorded (and sent) this run. */
  expiryNotices: number;
  /** Set once when LWA rejected the app's own credentials; the run stopped early. */
  appFault?: string;
  /** True when the run stopped taking work at its deadline with sellers still due. */
  budgetExhausted: boolean;
  /** True when the client secret expires within 30 days and no rotation is under way. */
  clientSecretExpiring?: boolean;
}

/** A run's summary before any work: every count zero. */
export function emptyRefreshSummary(): RefreshRunSummary {
  return {
    due: 0,
    refreshed: 0,
    alreadyFresh: 0,
    notLeased: 0,
    reauthRequired: 0,
    degraded: 0,
    stillFailing: 0,
    leaseLost: 0,
    superseded: 0,
    rotationsStored: 0,
    unpersistedRotations: 0,
    secretWriteRetries: 0,
    tokensExpired: 0,
    authorizationsBackfilled: 0,
    expiryNotices: 0,
    budgetExhausted: false,
  };
}

/** LWA rejected the app itself (invalid_client / unauthorized_client): stop the whole run. */
class AppFault extends Error {
  constructor(
    readonly code: string,
    readonly detail?: string,
  ) {
    super(`The app's LWA credentials cannot be used (${code}).`);
    this.name = 'AppFault';
  }
}

/**
 * Time kept after a rotated token's last write attempt: the item update that follows it, the run
 * summary and the metrics flush.
 */
export const SECRET_WRITE_MARGIN_MS = 10_000;

/**
 * A rotated token's write retries until the invocation itself is about to end (invariant 11), not
 * only until the run stops taking work: an account-wide throttling burst can outlast the run budget.
 */
export function secretWriteDeadline(nowMs: number, remainingMs: number): number {
  return nowMs + remainingMs - SECRET_WRITE_MARGIN_MS;
}

/**
 * One refresh run: pull due items region by region (interleaved, so one region's backlog
 * can't starve another), refresh each under a lease with bounded concurrency, and stop taking
 * new work at `deadlineMs`. Whatever is left stays due for the next run.
 */
export async function runRefresh(
  deps: RefreshDeps,
  options: {
    deadlineMs: number;
    /**
     * Until when a rotated token's write keeps retrying (invariant 11): the invocation's own end
     * less a safety margin, later than `deadlineMs`. Defaults to `deadlineMs`.
     */
    writeDeadlineMs?: number;
    owner?: string;
  },
): Promise<RefreshRunSummary> {
  const owner = options.owner ?? randomUUID();
  const summary = emptyRefreshSummary();
  if (deps.clientSecretExpiry)
    summary.clientSecretExpiring = await checkClientSecretExpiry(deps.clientSecretExpiry);
  await indexGrantlessScopes(deps);
  const startSeconds = toEpochSeconds(deps.clock());
  const queue = interleave(
    deps.config.regions.map((region) => deps.repository.dueItems(region, startSeconds)),
  );
  let stop = false;

  const worker = async (): Promise<void> => {
    while (!stop) {
      const pastDeadline = deps.clock() >= options.deadlineMs;
      const next = await queue.next();
      if (next.done) return;
      countExpired(summary, next.value, startSeconds);
      // Only a seller left due makes the run "behind" (the RefreshBehind alarm); a run that used
      // its whole window and finished its last seller after the deadline is not.
      if (pastDeadline) {
        summary.budgetExhausted = true;
        return;
      }
      if (stop) return;
      summary.due++;
      try {
        const outcome = await refreshOne(
          deps,
          next.value,
          owner,
          summary,
          options.writeDeadlineMs ?? options.deadlineMs,
        );
        count(summary, outcome);
      } catch (error) {
        if (error instanceof AppFault) {
          if (!summary.appFault) {
            summary.appFault = error.code;
            deps.log.error(
              'LWA rejected the app credentials; stopping this run. Check the app credentials secret.',
              { lwaError: error.code, ...(error.detail ? { detail: error.detail } : {}) },
            );
          }
          stop = true;
          return;
        }
        // Isolation: an unexpected failure for one seller is logged and the run goes on.
        summary.degraded++;
        deps.log.error('Unexpected refresh failure', {
          sellerId: next.value.sellerId,
          region: next.value.region,
          error: errorName(error),
        });
      }
    }
  };
  // allSettled, not all: if one worker fails (a Query error, say), the others may be between
  // LWA and PutSecretValue, and the run must not return before their tokens are stored.
  const outcomes = await Promise.allSettled(Array.from({ length: deps.config.concurrency }, worker));
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  await countUnreadExpired(queue, summary, startSeconds);
  return summary;
}

/**
 * The `TokensExpired` gauge, from the due query the run reads anyway. Every refreshable item is
 * scheduled no later than its token's expiry: `nextRefreshAt = expiry − lead − spread` after a
 * refresh, `expiry − lead` when found fresh, and at most `expiry − 120 s` after a failure. So
 * `accessTokenExpiresAt < start` implies `nextRefreshAt < start`: every item with an expired
 * token is in the run's due query (`nextRefreshAt <= start`), and counting the expired ones on its
 * pages counts them all. Non-refreshable items (REAUTH_REQUIRED, ACCESS_ONLY) have no
 * `nextRefreshAt` and are neither in the index nor counted.
 */
function countExpired(summary: RefreshRunSummary, due: DueItem, startSeconds: number): void {
  const refreshable = due.status === SellerStatus.Active || due.status === SellerStatus.Degraded;
  if (refreshable && due.accessTokenExpiresAt !== undefined && due.accessTokenExpiresAt < startSeconds) {
    summary.tokensExpired++;
  }
}

/** More due items than this left unread (a run far behind) make the gauge a lower bound. */
const EXPIRED_COUNT_READ_LIMIT = 5_000;

/**
 * A run that stopped early (budget, app fault) left due pages unread, and those are exactly where
 * expired tokens pile up; they are read (no writes, no scan) to finish the count.
 */
async function countUnreadExpired(
  queue: AsyncIterator<DueItem>,
  summary: RefreshRunSummary,
  startSeconds: number,
): Promise<void> {
  for (let read = 0; read < EXPIRED_COUNT_READ_LIMIT; read++) {
    const next = await queue.next();
    if (next.done) return;
    countExpired(summary, next.value, startSeconds);
  }
}

function count(summary: RefreshRunSummary, outcome: SellerOutcome): void {
  if (outcome === 'refreshed') summary.refreshed++;
  else if (outcome === 'already-fresh') summary.alreadyFresh++;
  else if (outcome === 'not-leased') summary.notLeased++;
  else if (outcome === 'reauth-required') summary.reauthRequired++;
  else if (outcome === 'degraded') summary.degraded++;
  else if (outcome === 'still-failing') summary.stillFailing++;
  else if (outcome === 'lease-lost') summary.leaseLost++;
  else if (outcome === 'superseded') summary.superseded++;
}

/**
 * Refreshes one seller under its lease. Exported for focused tests. Without `writeDeadlineMs`
 * the secret write makes the token store's bounded number of attempts.
 */
export async function refreshOne(
  deps: RefreshDeps,
  due: DueItem,
  owner: string,
  summary: RefreshRunSummary,
  writeDeadlineMs?: number,
): Promise<SellerOutcome> {
  const { config } = deps;
  const item = await deps.repository.acquireLease(
    due,
    owner,
    toEpochSeconds(deps.clock()),
    config.leaseSeconds,
  );
  if (!item) return 'not-leased';
  const ids = { sellerId: due.sellerId, region: due.region };
  // Every write from here on carries the fence this lease was taken under.
  const leased: DueItem = { ...due, authorizationId: item.authorizationId };

  let stored: TokenSecretValue | undefined;
  try {
    stored = await deps.tokens.read(item.secretName);
  } catch (error) {
    return error instanceof MalformedTokenSecretError
      ? degrade(deps, leased, owner, item, 'secret_malformed', { permanent: true })
      : degrade(deps, leased, owner, item, 'secret_read_failed');
  }
  // Grantless tokens are re-issued from the scope; everything else needs its stored refresh token.
  const grant = planGrant(item, stored);
  if (grant.kind === 'impossible') {
    deps.log.warn(
      item.status === SellerStatus.Pending
        ? 'An authorization never stored its tokens (its callback stopped before the secret write); the seller must authorize again'
        : 'Token secret cannot be refreshed; the seller must authorize again',
      { ...ids, reason: grant.reason },
    );
    return markReauth(deps, leased, owner, item, grant.reason);
  }

  // Another worker may have refreshed between our index read and our lease (invariant 2). Its
  // token is judged by the schedule a refresh would give it, write-interval floor included.
  const now = toEpochSeconds(deps.clock());
  const storedSchedule = stored ? scheduleOfStoredToken(deps, stored) : undefined;
  if (storedSchedule?.fresh(now)) {
    const kept = await deps.repository.recordRefreshed(leased, owner, {
      accessTokenExpiresAt: storedSchedule.accessTokenExpiresAt,
      nextRefreshAt: storedSchedule.nextRefreshAt,
      nowSeconds: now,
      refreshed: false,
    });
    if (kept.outcome !== 'written') return kept.outcome;
    await afterSuccess(deps, due, item, summary);
    return 'already-fresh';
  }

  // Generated before LWA is called, so every write retry is the same idempotent request.
  const clientRequestToken = randomUUID();
  const issuedAtMs = deps.clock();
  let response: LwaTokenResponse | IncompleteTokenResponse;
  try {
    response = await callLwa(deps, due.region, (clientId, clientSecret) => {
      const endpoint = deps.config.lwaEndpoints[due.region];
      return grant.kind === 'grantless'
        ? deps.lwa.grantlessToken(endpoint, { clientId, clientSecret, scope: grant.scope })
        : deps.lwa.refreshAccessToken(endpoint, { clientId, clientSecret, refreshToken: grant.refreshToken });
    });
  } catch (error) {
    if (error instanceof AppFault) {
      await deps.repository.releaseLease(leased, owner);
      throw error;
    }
    const code = error instanceof LwaError ? error.code : 'unexpected_error';
    if (error instanceof LwaError && error.kind === 'invalid_scope') {
      // The app may not use this scope: an app-level problem, but only this scope's item is marked.
      deps.log.error(
        'LWA refused a grantless scope (invalid_scope); check the roles of the app in the developer console or remove the scope',
        { ...ids, scope: item.scope },
      );
      return degrade(deps, leased, owner, item, code, { retryAfterSeconds: INVALID_SCOPE_RETRY_SECONDS });
    }
    if (error instanceof LwaError && error.kind === 'invalid_grant') {
      // Past the 365-day authorization, invalid_grant is the expiry, not a revocation.
      const reason =
        item.authorizationExpiresAt !== undefined &&
        toEpochSeconds(deps.clock()) >= item.authorizationExpiresAt
          ? 'authorization_expired'
          : code;
      const outcome = await markReauth(deps, leased, owner, item, reason);
      if (outcome === 'reauth-required') {
        deps.log.warn('Refresh token rejected (invalid_grant); the seller must authorize again', {
          ...ids,
          reason,
        });
      }
      return outcome;
    }
    deps.log.warn('Refresh failed; will retry later', {
      ...ids,
      lwaError: code,
      failureCount: (item.failureCount ?? 0) + 1,
    });
    // LWA refused this seller's request itself (invalid_request, an HTML 4xx): no quick cure.
    return degrade(deps, leased, owner, item, code, {
      permanent: error instanceof LwaError && error.kind === 'request',
    });
  }

  // LWA may return no refresh token or the same one; then the stored one stays valid.
  const storedRefreshToken = grant.kind === 'refresh' ? grant.refreshToken : undefined;
  const rotated =
    grant.kind === 'refresh' &&
    response.refreshToken !== undefined &&
    response.refreshToken !== storedRefreshToken;
  const complete = 'incomplete' in response ? undefined : response;
  const incomplete = 'incomplete' in response ? response.incomplete : undefined;
  if (incomplete && !rotated) {
    deps.log.warn('LWA answered without a usable access token; will retry later', {
      ...ids,
      missing: incomplete,
    });
    return degrade(deps, leased, owner, item, 'malformed_response', { permanent: true });
  }
  const schedule =
    complete &&
    computeRefreshSchedule({
      issuedAtMs,
      expiresInSeconds: complete.expiresIn,
      ...scheduleSettings(deps),
      random: deps.random,
    });
  if (complete) warnIfTokenOutlivedByWriteInterval(deps, complete.expiresIn);
  const value: TokenSecretValue = {
    ...(stored ?? { region: due.region }),
    ...(grant.kind === 'grantless' ? { scope: grant.scope } : {}),
    // An incomplete answer keeps the stored access token when it brought none (the secret's JSON
    // requires one), and either way marks it expired so no reader trusts it (invariant 10).
    accessToken: response.accessToken || stored?.accessToken || '',
    accessTokenExpiresAt: new Date(
      (schedule?.accessTokenExpiresAt ?? toEpochSeconds(issuedAtMs)) * 1000,
    ).toISOString(),
    refreshToken: rotated ? response.refreshToken : storedRefreshToken,
    tokenType: response.tokenType,
    updatedAt: new Date(issuedAtMs).toISOString(),
  };
  const pace = () => deps.secretWrites.acquire();
  try {
    const input: WriteTokenSecretInput = {
      secretName: item.secretName,
      value,
      clientRequestToken,
      kmsKeyId: config.kmsKeyId,
      tags:
        grant.kind === 'grantless'
          ? { scope: grant.scope, region: due.region }
          : { sellerId: due.sellerId, region: due.region },
    };
    // Every attempt, retries included, takes a slot from the write pacer (invariant 6).
    const { attempts } =
      writeDeadlineMs === undefined
        ? await pace().then(() => deps.tokens.write(input))
        : await deps.tokens.write(input, {
            deadlineMs: writeDeadlineMs,
            clock: deps.clock,
            beforeAttempt: pace,
          });
    summary.secretWriteRetries += attempts - 1;
  } catch (error) {
    if (rotated) {
      summary.unpersistedRotations++;
      deps.log.error(
        'Unpersisted rotation: LWA rotated the refresh token but the secret write still failed when its retries ran out',
        {
          ...ids,
          error: errorName(error),
        },
      );
    }
    return degrade(deps, leased, owner, item, 'secret_write_failed');
  }
  if (rotated) summary.rotationsStored++;
  if (!schedule) {
    deps.log.warn(
      'LWA rotated the refresh token but sent no usable access token; stored the rotated refresh token, marked the access token expired, and will retry shortly',
      { ...ids, missing: incomplete },
    );
    // The access token is marked expired, so the retry comes after a minute; a repeat backs off
    // like any permanent error, which also keeps the secret's version rate down (invariant 12).
    return degrade(deps, leased, owner, item, 'incomplete_token_response', {
      permanent: true,
      accessTokenExpiresAt: toEpochSeconds(issuedAtMs),
    });
  }

  const recorded = await deps.repository.recordRefreshed(leased, owner, {
    accessTokenExpiresAt: schedule.accessTokenExpiresAt,
    nextRefreshAt: schedule.nextRefreshAt,
    nowSeconds: toEpochSeconds(deps.clock()),
    refreshed: true,
  });
  if (recorded.outcome === 'superseded') {
    await restoreAuthorization(deps, {
      secretName: item.secretName,
      staleVersion: clientRequestToken,
      authorizationVersion: recorded.authorizationId,
      refreshTokenUsed: storedRefreshToken,
      ids,
    });
    return 'superseded';
  }
  if (recorded.outcome === 'lease-lost') {
    deps.log.warn(
      'Lease was taken over before the item update; the token is stored, the item was left to the new holder',
      ids,
    );
    return 'lease-lost';
  }
  await afterSuccess(deps, due, item, summary);
  return 'refreshed';
}

/** Most items need no backfill; a few per run keep the extra writes small next to the refreshes. */
const AUTHORIZATION_BACKFILLS_PER_RUN = 20;

/**
 * After a success is recorded: `Token refresh recovered` if `failing` was sent, then the yearly
 * authorization's bookkeeping. Neither may change the refresh's outcome, so failures are logged.
 */
async function afterSuccess(
  deps: RefreshDeps,
  due: DueItem,
  item: SellerItem,
  summary: RefreshRunSummary,
): Promise<void> {
  const identity = { ...tokenOwnerIdentity(item), region: due.region, kind: item.kind ?? TokenKind.Seller };
  const nowSeconds = toEpochSeconds(deps.clock());
  if (item.refreshFailingSince !== undefined) {
    await deps.events.publish(LifecycleEvent.TokenRefreshRecovered, {
      ...identity,
      failingSince: isoSeconds(item.refreshFailingSince),
      recoveredAt: isoSeconds(nowSeconds),
    });
  }
  const plan = planAuthorizationNotice(item, nowSeconds);
  if (!plan) return;
  const backfill = plan.backfillFromAuthorizedAt !== undefined;
  if (
    backfill &&
    plan.noticeDays === undefined &&
    summary.authorizationsBackfilled >= AUTHORIZATION_BACKFILLS_PER_RUN
  ) {
    return; // picked up at this seller's next refresh, within the hour
  }
  try {
    // Recorded before it is sent: a crash in between loses a notice but never sends it twice.
    const recorded = await deps.repository.recordAuthorizationNotice(due, { ...plan, nowSeconds });
    if (!recorded) return;
    if (backfill) summary.authorizationsBackfilled++;
    if (plan.noticeDays === undefined) return;
    summary.expiryNotices++;
    const link = authorizeLink(deps.config.authorizeUrl, due.region);
    await deps.events.publish(LifecycleEvent.SellerAuthorizationExpiring, {
      ...identity,
      daysBefore: plan.noticeDays,
      authorizationExpiresAt: isoSeconds(plan.authorizationExpiresAt),
      ...(link ? { authorizeUrl: link } : {}),
    });
  } catch (error) {
    deps.log.warn('Could not record the authorization expiry; it is tried again at the next refresh', {
      sellerId: due.sellerId,
      region: due.region,
      error: errorName(error),
    });
  }
}

const isoSeconds = (seconds: number): string => new Date(seconds * 1000).toISOString();

/**
 * The rare path of invariant 9: a re-authorization happened while this refresh waited for LWA, and
 * this refresh's secret write may have landed over the authorization's. Put the authorization's
 * tokens back on top if so. A failure here is logged, never thrown: the item already belongs to the
 * authorization, and the run goes on.
 */
async function restoreAuthorization(
  deps: RefreshDeps,
  input: {
    secretName: string;
    staleVersion: string;
    authorizationVersion: string | undefined;
    refreshTokenUsed: string | undefined;
    ids: { sellerId: string; region: Region };
  },
): Promise<void> {
  const { authorizationVersion, ids } = input;
  if (authorizationVersion === undefined) return;
  try {
    await deps.secretWrites.acquire();
    const restored = await deps.tokens.restoreOverwrittenAuthorization({
      secretName: input.secretName,
      staleVersion: input.staleVersion,
      authorizationVersion,
      refreshTokenUsed: input.refreshTokenUsed,
    });
    deps.log.warn(
      restored
        ? 'The seller authorized again during this refresh; the new authorization’s tokens were put back on top of the ones this refresh wrote'
        : 'The seller authorized again during this refresh; the new authorization’s tokens are on top (or this refresh was based on them), nothing to undo',
      ids,
    );
  } catch (error) {
    deps.log.error(
      'The seller authorized again during this refresh, and putting the authorization’s tokens back on top failed: its version is AWSPREVIOUS of the token secret',
      { ...ids, error: errorName(error) },
    );
  }
}

/**
 * Calls LWA with bounded retries for transient failures (honouring Retry-After). When LWA
 * rejects the client, the previous client secret is tried during a rotation, and the credentials
 * are read once more, before giving up.
 */
async function callLwa<T>(
  deps: RefreshDeps,
  _region: Region,
  request: (clientId: string, clientSecret: string) => Promise<T>,
): Promise<T> {
  try {
    return await withClientSecret(
      deps.appCredentials,
      deps.clock,
      (credentials, clientSecret) =>
        retryWithBackoff(
          () => deps.lwaCalls.use(() => request(credentials.clientId, clientSecret)),
          (error) => error instanceof LwaError && error.kind === 'transient',
          {
            maxAttempts: deps.config.lwaMaxAttempts,
            ...deps.lwaRetry,
            sleep: deps.sleep,
            random: deps.random,
            minDelayMs: (error) =>
              error instanceof LwaError && error.retryAfterSeconds !== undefined
                ? Math.min(error.retryAfterSeconds * 1000, deps.lwaRetry.maxDelayMs)
                : undefined,
          },
        ),
      (error) => error instanceof LwaError && error.kind === 'app',
    );
  } catch (error) {
    // Unreadable or placeholder credentials are the app's fault, not the seller's: no seller is marked.
    if (error instanceof AppCredentialsError) throw new AppFault('app_credentials_unusable', error.message);
    if (error instanceof LwaError && error.kind === 'app') throw new AppFault(error.code);
    throw error;
  }
}

async function markReauth(
  deps: RefreshDeps,
  due: DueItem,
  owner: string,
  item: SellerItem,
  reason: string,
): Promise<SellerOutcome> {
  const nowSeconds = toEpochSeconds(deps.clock());
  const marked = await deps.repository.recordReauthRequired(due, owner, nowSeconds, reason);
  if (marked.outcome !== 'written') return marked.outcome;
  // The seller is already marked; the publisher logs and counts an event it could not send.
  await deps.events.publish(LifecycleEvent.SellerReauthorizationRequired, {
    ...tokenOwnerIdentity(item),
    region: due.region,
    kind: item.kind ?? TokenKind.Seller,
    reason,
    at: new Date(nowSeconds * 1000).toISOString(),
  });
  return 'reauth-required';
}

function scheduleSettings(deps: RefreshDeps) {
  return {
    leadSeconds: deps.config.leadSeconds,
    spreadSeconds: deps.config.spreadSeconds,
    minWriteIntervalSeconds:
      deps.config.minSecretWriteIntervalSeconds ?? DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS,
  };
}

/**
 * The schedule a refresh would have given a stored token, taking its write time (`updatedAt`) as
 * its issue time. It is fresh while it is unexpired and even the earliest spread draw is ahead.
 */
function scheduleOfStoredToken(deps: RefreshDeps, stored: TokenSecretValue) {
  const expiresAtMs = Date.parse(stored.accessTokenExpiresAt);
  const writtenAtMs = Date.parse(stored.updatedAt);
  // An unreadable write time gives the token no lifetime, so it is refreshed rather than trusted.
  const issuedAtMs = Number.isNaN(writtenAtMs) ? expiresAtMs : Math.min(writtenAtMs, expiresAtMs);
  const input = {
    issuedAtMs,
    expiresInSeconds: toEpochSeconds(expiresAtMs) - toEpochSeconds(issuedAtMs),
    ...scheduleSettings(deps),
  };
  const { accessTokenExpiresAt, nextRefreshAt } = computeRefreshSchedule({ ...input, random: deps.random });
  return {
    accessTokenExpiresAt,
    nextRefreshAt,
    fresh: (nowSeconds: number) => accessTokenExpiresAt > nowSeconds && earliestRefreshAt(input) > nowSeconds,
  };
}

const warnedLifetimes = new WeakMap<RefreshDeps, Set<number>>();

/**
 * A token that expires before the secret may be written again is expired for part of every
 * interval; say so once per execution environment and lifetime, not once per seller and run.
 */
function warnIfTokenOutlivedByWriteInterval(deps: RefreshDeps, expiresInSeconds: number): void {
  const { minWriteIntervalSeconds } = scheduleSettings(deps);
  if (expiresInSeconds >= minWriteIntervalSeconds) return;
  const warned = warnedLifetimes.get(deps) ?? new Set<number>();
  warnedLifetimes.set(deps, warned);
  if (warned.has(expiresInSeconds)) return;
  warned.add(expiresInSeconds);
  deps.log.warn(
    "LWA issues access tokens too short for Secrets Manager's version quota: each secret is written at most once per minimum write interval, so these tokens will be expired for part of every interval. Lower MIN_SECRET_WRITE_INTERVAL_SECONDS only where the secrets are not in AWS (the local run).",
    { expiresInSeconds, minSecretWriteIntervalSeconds: minWriteIntervalSeconds },
  );
}

/** Retry no sooner than a growing backoff, and never later than shortly before the token expires. */
export function degradedNextRefreshAt(input: {
  nowSeconds: number;
  failureCount: number;
  accessTokenExpiresAt?: number;
  random: () => number;
}): number {
  const backoff =
    60 + fullJitterDelay(input.failureCount, { baseDelayMs: 60, maxDelayMs: 900, random: input.random });
  const latest = (input.accessTokenExpiresAt ?? Number.POSITIVE_INFINITY) - 120;
  return Math.max(input.nowSeconds + 30, Math.min(input.nowSeconds + backoff, latest));
}

/** Longest wait between two tries of a seller whose error will not cure itself. */
const PERMANENT_FAILURE_MAX_BACKOFF_SECONDS = 3600;

/**
 * For an error that retrying soon will not cure (LWA refused the request, the secret is
 * malformed): the usual backoff while the access token is still good, then, once it has expired,
 * a minute doubling with each repeat of the same error up to an hour, instead of every tick.
 */
export function permanentFailureNextRefreshAt(input: {
  nowSeconds: number;
  failureCount: number;
  /** The same error as the previous failure. */
  repeated: boolean;
  accessTokenExpiresAt?: number;
  random: () => number;
}): number {
  const beforeExpiry = degradedNextRefreshAt(input);
  const latest = (input.accessTokenExpiresAt ?? Number.POSITIVE_INFINITY) - 120;
  if (input.nowSeconds + 30 < latest) return beforeExpiry;
  const doublings = input.repeated ? Math.max(0, input.failureCount - 1) : 0;
  return (
    input.nowSeconds + Math.min(PERMANENT_FAILURE_MAX_BACKOFF_SECONDS, 60 * 2 ** Math.min(doublings, 16))
  );
}

async function degrade(
  deps: RefreshDeps,
  due: DueItem,
  owner: string,
  item: SellerItem,
  code: string,
  options: {
    retryAfterSeconds?: number;
    /** An error retrying soon will not cure; see permanentFailureNextRefreshAt. */
    permanent?: boolean;
    /** When the stored access token expires, if this refresh changed it. */
    accessTokenExpiresAt?: number;
  } = {},
): Promise<SellerOutcome> {
  const nowSeconds = toEpochSeconds(deps.clock());
  const failureCount = (item.failureCount ?? 0) + 1;
  // The token has run out with no successful refresh: tell subscribers once, not on every retry.
  const startsFailing =
    item.refreshFailingSince === undefined &&
    item.accessTokenExpiresAt !== undefined &&
    item.accessTokenExpiresAt <= nowSeconds;
  const repeated = item.lastError === code;
  const schedule = {
    nowSeconds,
    failureCount,
    accessTokenExpiresAt: options.accessTokenExpiresAt ?? item.accessTokenExpiresAt,
    random: deps.random,
  };
  const marked = await deps.repository.recordDegraded(due, owner, {
    nowSeconds,
    failureCount,
    errorCode: code,
    ...(startsFailing ? { refreshFailingSince: nowSeconds } : {}),
    nextRefreshAt:
      options.retryAfterSeconds !== undefined
        ? nowSeconds + options.retryAfterSeconds
        : options.permanent
          ? permanentFailureNextRefreshAt({ ...schedule, repeated })
          : degradedNextRefreshAt(schedule),
  });
  if (marked.outcome !== 'written') return marked.outcome;
  if (startsFailing) {
    await deps.events.publish(LifecycleEvent.TokenRefreshFailing, {
      ...tokenOwnerIdentity(item),
      region: due.region,
      kind: item.kind ?? TokenKind.Seller,
      reason: code,
      failureCount,
      accessTokenExpiresAt: isoSeconds(item.accessTokenExpiresAt as number),
      failingSince: isoSeconds(nowSeconds),
    });
  }
  return options.permanent && repeated ? 'still-failing' : 'degraded';
}

/** An app that may not use a scope won't be allowed a minute later either; look again hourly. */
const INVALID_SCOPE_RETRY_SECONDS = 3600;

type GrantPlan =
  | { readonly kind: 'refresh'; readonly refreshToken: string }
  | { readonly kind: 'grantless'; readonly scope: string }
  | { readonly kind: 'impossible'; readonly reason: string };

/** How this item's next token is obtained, from what the table and the secret hold. */
function planGrant(item: SellerItem, stored: TokenSecretValue | undefined): GrantPlan {
  if (item.kind === TokenKind.Grantless) {
    return item.scope
      ? { kind: 'grantless', scope: item.scope }
      : { kind: 'impossible', reason: 'scope_missing' };
  }
  if (!stored) return { kind: 'impossible', reason: 'secret_missing' };
  if (!stored.refreshToken) return { kind: 'impossible', reason: 'no_refresh_token' };
  return { kind: 'refresh', refreshToken: stored.refreshToken };
}

const indexedGrantless = new WeakSet<RefreshDeps>();

/**
 * Indexes every configured grantless scope that is not indexed yet, once per execution
 * environment: the first refresher run after a deploy obtains their first tokens.
 */
async function indexGrantlessScopes(deps: RefreshDeps): Promise<void> {
  if (indexedGrantless.has(deps)) return;
  const nowSeconds = toEpochSeconds(deps.clock());
  for (const [region, scopes] of Object.entries(deps.config.grantlessScopes ?? {}) as Array<
    [Region, string[]]
  >) {
    for (const scope of scopes) {
      const secretName = grantlessSecretName(
        deps.config.tokenSecretPrefix ?? DEFAULT_TOKEN_SECRET_PREFIX,
        region,
        scope,
      );
      if (await deps.repository.ensureGrantlessItem({ region, scope, secretName, nowSeconds })) {
        deps.log.info('Indexed a grantless scope; its first token is obtained now', { region, scope });
      }
    }
  }
  indexedGrantless.add(deps);
}

/** Round-robin over several async iterators until all are exhausted. */
async function* interleave<T>(sources: AsyncIterator<T>[]): AsyncGenerator<T> {
  const active = [...sources];
  while (active.length > 0) {
    for (let i = 0; i < active.length; ) {
      const source = active[i] as AsyncIterator<T>;
      const next = await source.next();
      if (next.done) {
        active.splice(i, 1);
      } else {
        yield next.value;
        i++;
      }
    }
  }
}
