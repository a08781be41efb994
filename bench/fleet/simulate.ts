/**
 * A fleet on simulated time: the real `runRefresh`, `refreshDeadline`, `computeRefreshSchedule`,
 * `RateLimiter` and `Semaphore`, with the in-memory stores, one run per simulated minute timed as
 * EventBridge Scheduler and Lambda time them. Nothing sleeps.
 */
import { loadRefreshConfig } from '../../lambda/refresh/config';
import { RateLimiter, Semaphore } from '../../lambda/refresh/pacing';
import type { RefreshRepository } from '../../lambda/refresh/refresh-repository';
import type { RefreshDeps, RefreshRunSummary } from '../../lambda/refresh/refresher';
import { runRefresh, secretWriteDeadline } from '../../lambda/refresh/refresher';
import { refreshDeadline } from '../../lambda/refresh/run-deadline';
import type { AppCredentialsProvider } from '../../lambda/shared/app-credentials';
import { noLifecycleEvents } from '../../lambda/shared/lifecycle-events';
import type { LwaClient } from '../../lambda/shared/lwa-client';
import { REGIONS } from '../../lambda/shared/regions';
import { computeRefreshSchedule } from '../../lambda/shared/scheduling';
import { sellerSecretName } from '../../lambda/shared/secret-names';
import { SellerStatus } from '../../lambda/shared/seller-table';
import type { TokenStore } from '../../lambda/shared/token-store';
import { DEFAULTS } from '../../lib/defaults';
import { refreshDrainSeconds } from '../../lib/validation';
import {
  distribution,
  fleetCapacity,
  meanRefreshIntervalSeconds,
  peakInWindow,
  refreshesPerDay,
} from '../arithmetic';
import { maxWritesPerSecretInWindow, SlidingWindowPeak } from '../sharded-arithmetic';
import {
  type Latencies,
  MemoryLwa,
  MemorySellerTable,
  MemoryTokenSecrets,
  type PublicOf,
  StaticAppCredentials,
} from './in-memory';
import { SimulatedTime, seededRandom } from './simulated-time';

export interface FleetScenario {
  readonly name: string;
  readonly sellers: number;
  readonly hours: number;
  readonly writeCapPerSecond: number;
  readonly latencies: Latencies;
  readonly seed?: number;
}

export interface FleetResult {
  readonly scenario: FleetScenario;
  readonly config: {
    concurrency: number;
    lwaMaxConcurrency: number;
    runBudgetSeconds: number;
    drainSeconds: number;
    leadSeconds: number;
    spreadSeconds: number;
    tickSeconds: number;
  };
  /** Sellers one refresher can keep fresh at this cap (arithmetic, for comparison). */
  readonly capacitySellers: number;
  readonly refreshes: number;
  readonly refreshesPerSellerDay: number;
  /** Refreshes that stored the new token only after the old one had expired. */
  readonly expiredBeforeRefresh: number;
  /** Sellers whose stored token had expired when the simulation ended. */
  readonly expiredAtEnd: number;
  /** Refreshes stored within the token client's 60 s cache margin (readers would have re-read a stale token). */
  readonly insideReaderMargin: number;
  readonly peakWritesPerSecond: number;
  readonly leadMinutes: { min: number; p1: number; p50: number };
  readonly runs: number;
  /** Runs that reached their deadline with sellers still due (the RefreshBehind alarm's metric). */
  readonly runsHitBudget: number;
  /** Runs that started throttled, after their predecessor ended, rather than when invoked. */
  readonly runsStartedLate?: number;
  /** Runs that started after their window had closed and so took no work. */
  readonly runsSkipped?: number;
  /** Latest end of a run after its own tick's scheduled time: under the tick, no successor waits. */
  readonly latestRunEndSeconds?: number;
  readonly maxRunSeconds: number;
  readonly maxDuePerRun: number;
  readonly queryPages: number;
  readonly warnings: number;
  readonly wallSeconds: number;
  readonly microsecondsPerRefresh: number;
  /** LWA calls in the busiest 1-second window, and on average over the simulation (issue 15). */
  readonly lwaCallsPerSecond?: { peak: number; mean: number };
  /** Most versions any one token secret got in any 24 hours (issue 15). */
  readonly maxVersionsPerSecret?: number;
  /** Simulated run time over the whole simulation: what Lambda bills (issue 15). */
  readonly simulatedRunSeconds?: number;
}

const TICK_SECONDS = 60;
const READER_MARGIN_MS = 60_000;
/** The refresh function's default timeout: what `getRemainingTimeInMillis` gives a run at its start. */
const FUNCTION_TIMEOUT_MS = 300_000;
/** EventBridge Scheduler invokes a tick's target within about a second of its scheduled time. */
const MAX_INVOKE_DELAY_MS = 1_000;
/** Lambda's first retry of an async invocation throttled by reserved concurrency. */
const THROTTLE_RETRY_MS = 1_000;
const T0 = Date.parse('2026-01-05T00:00:00.000Z');

export async function simulateFleet(
  scenario: FleetScenario,
  progress: (line: string) => void,
): Promise<FleetResult> {
  const started = performance.now();
  const random = seededRandom(scenario.seed ?? 7);
  const time = new SimulatedTime(T0);
  // The production defaults (concurrency, lease, budget, lead, spread) come from the real loader.
  const config = loadRefreshConfig({
    SELLER_TABLE_NAME: 'sim-sellers',
    APP_SECRET_ID: 'sim-app',
    TOKEN_KMS_KEY_ID: 'sim-key',
    LWA_ENDPOINTS: JSON.stringify({ NA: 'https://lwa.sim', EU: 'https://lwa.sim', FE: 'https://lwa.sim' }),
    SECRETS_WRITES_PER_SECOND: String(scenario.writeCapPerSecond),
    // As the construct sets them for the default rate(1 minute) schedule and this cap.
    REFRESH_TICK_SECONDS: String(TICK_SECONDS),
    REFRESH_DRAIN_SECONDS: String(
      refreshDrainSeconds(DEFAULTS.refreshConcurrency, scenario.writeCapPerSecond),
    ),
  });
  // Invocation delays draw from their own sequence, so the fleet seeded below is the same fleet
  // whatever the timing model.
  const invokeDelay = seededRandom((scenario.seed ?? 7) + 1);
  const expiresIn = 3600;

  const writeTimes = new GrowableArray();
  const writeSecrets = new GrowableArray();
  const secretIndex = new Map<string, number>();
  const lwaPeak = new SlidingWindowPeak(1000);
  const leads = new GrowableArray();
  let expiredBeforeRefresh = 0;
  let insideReaderMargin = 0;
  const table = new MemorySellerTable(Math.floor(T0 / 1000) - 2 * expiresIn, time.sleep, scenario.latencies);
  const secrets = new MemoryTokenSecrets(time.clock, time.sleep, scenario.latencies, (write) => {
    writeTimes.push(write.atMs);
    writeSecrets.push(secretIndex.get(write.secretName) ?? -1);
    if (Number.isFinite(write.leadMs)) {
      leads.push(write.leadMs / 60_000);
      if (write.leadMs <= 0) expiredBeforeRefresh++;
      if (write.leadMs < READER_MARGIN_MS) insideReaderMargin++;
    }
  });

  // Steady state: each seller was last refreshed at a uniformly random point of its interval.
  const interval = meanRefreshIntervalSeconds({
    expiresInSeconds: expiresIn,
    leadSeconds: config.leadSeconds,
    spreadSeconds: config.spreadSeconds,
    tickSeconds: TICK_SECONDS,
  });
  for (let i = 0; i < scenario.sellers; i++) {
    const region = REGIONS[i % REGIONS.length] ?? 'NA';
    const sellerId = simulatedSellerId(i);
    const secretName = sellerSecretName('lwa-tokens', region, sellerId);
    secretIndex.set(secretName, i);
    const issuedAtMs = T0 - Math.floor(random() * interval * 1000);
    const schedule = computeRefreshSchedule({
      issuedAtMs,
      expiresInSeconds: expiresIn,
      leadSeconds: config.leadSeconds,
      spreadSeconds: config.spreadSeconds,
      random,
    });
    secrets.put(secretName, {
      sellerId,
      region,
      accessToken: `Atza|seed-${i}`,
      accessTokenExpiresAt: new Date(schedule.accessTokenExpiresAt * 1000).toISOString(),
      refreshToken: `Atzr|seed-${i}`,
      tokenType: 'bearer',
      updatedAt: new Date(issuedAtMs).toISOString(),
    });
    table.put({
      sellerId,
      region,
      status: SellerStatus.Active,
      secretName,
      accessTokenExpiresAt: schedule.accessTokenExpiresAt,
      nextRefreshAt: schedule.nextRefreshAt,
      failureCount: 0,
    });
  }

  let warnings = 0;
  const log = {
    info: () => {},
    warn: () => {
      warnings++;
    },
    error: () => {
      warnings++;
    },
  } as unknown as RefreshDeps['log'];
  const deps: RefreshDeps = {
    repository: asReal<RefreshRepository>(table),
    tokens: asReal<TokenStore>(secrets),
    lwa: asReal<LwaClient>(
      new MemoryLwa(time.sleep, scenario.latencies, expiresIn, () => lwaPeak.add(time.clock())),
    ),
    events: noLifecycleEvents,
    appCredentials: asReal<AppCredentialsProvider>(
      new StaticAppCredentials({
        clientId: 'amzn1.application-oa2-client.sim',
        clientSecret: 'sim-secret',
        applicationId: 'amzn1.sp.solution.sim',
        draft: false,
      }),
    ),
    // One environment serves every run (reserved concurrency 1), so one limiter spans the day.
    secretWrites: new RateLimiter(config.secretsWritesPerSecond, time.clock, time.sleep),
    lwaCalls: new Semaphore(config.lwaMaxConcurrency),
    clock: time.clock,
    sleep: time.sleep,
    random,
    lwaRetry: { baseDelayMs: 250, maxDelayMs: 5_000 },
    log,
    config,
  };

  const ticks = Math.round((scenario.hours * 3600) / TICK_SECONDS);
  let runsHitBudget = 0;
  let runsStartedLate = 0;
  let runsSkipped = 0;
  let latestRunEndMs = 0;
  let maxRunMs = 0;
  let simulatedRunMs = 0;
  let maxDue = 0;
  let previousEnd = Number.NEGATIVE_INFINITY;
  let lastProgress = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    // Reserved concurrency 1: a tick invoked while the previous run still executes is throttled,
    // and Lambda retries it once that run has ended.
    const scheduledAt = T0 + tick * TICK_SECONDS * 1000;
    const invokedAt = scheduledAt + Math.floor(invokeDelay() * MAX_INVOKE_DELAY_MS);
    const throttled = invokedAt < previousEnd;
    const startedAt = throttled ? previousEnd + THROTTLE_RETRY_MS : invokedAt;
    if (throttled) runsStartedLate++;
    time.advanceTo(startedAt);
    const deadline = refreshDeadline({
      nowMs: startedAt,
      remainingMs: FUNCTION_TIMEOUT_MS,
      scheduledTimeMs: scheduledAt,
      limits: config,
    });
    if (deadline.windowClosed) {
      runsSkipped++;
      previousEnd = startedAt;
      continue;
    }
    const summary: RefreshRunSummary = await time.run(
      runRefresh(deps, {
        deadlineMs: deadline.deadlineMs,
        writeDeadlineMs: secretWriteDeadline(startedAt, FUNCTION_TIMEOUT_MS),
      }),
    );
    previousEnd = time.clock();
    maxRunMs = Math.max(maxRunMs, previousEnd - startedAt);
    latestRunEndMs = Math.max(latestRunEndMs, previousEnd - scheduledAt);
    simulatedRunMs += previousEnd - startedAt;
    maxDue = Math.max(maxDue, summary.due);
    if (summary.budgetExhausted) runsHitBudget++;
    if (performance.now() - lastProgress > 10_000) {
      lastProgress = performance.now();
      progress(
        `  ${scenario.name}: simulated ${((tick + 1) / 60).toFixed(1)} of ${scenario.hours} h, ${writeTimes.length.toLocaleString('en-US')} refreshes`,
      );
    }
  }

  const endMs = T0 + ticks * TICK_SECONDS * 1000;
  let expiredAtEnd = 0;
  for (const { expiresAtMs } of secrets.expiries()) if (expiresAtMs <= endMs) expiredAtEnd++;
  const lead = distribution(leads.view());
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    scenario,
    config: {
      concurrency: config.concurrency,
      lwaMaxConcurrency: config.lwaMaxConcurrency,
      runBudgetSeconds: config.runBudgetSeconds,
      drainSeconds: config.drainSeconds,
      leadSeconds: config.leadSeconds,
      spreadSeconds: config.spreadSeconds,
      tickSeconds: TICK_SECONDS,
    },
    capacitySellers: fleetCapacity({
      writeCapPerSecond: config.secretsWritesPerSecond,
      drainSeconds: config.drainSeconds,
      tickSeconds: TICK_SECONDS,
      meanRefreshIntervalSeconds: interval,
    }),
    refreshes: writeTimes.length,
    refreshesPerSellerDay: (writeTimes.length / scenario.sellers) * (24 / scenario.hours),
    expiredBeforeRefresh,
    expiredAtEnd,
    insideReaderMargin,
    peakWritesPerSecond: peakInWindow(writeTimes.view(), 1000),
    leadMinutes: { min: lead.min, p1: lead.p1, p50: lead.p50 },
    runs: ticks,
    runsHitBudget,
    runsStartedLate,
    runsSkipped,
    latestRunEndSeconds: latestRunEndMs / 1000,
    maxRunSeconds: maxRunMs / 1000,
    maxDuePerRun: maxDue,
    queryPages: table.queryPages,
    warnings,
    wallSeconds,
    microsecondsPerRefresh: writeTimes.length > 0 ? (wallSeconds * 1e6) / writeTimes.length : 0,
    lwaCallsPerSecond: { peak: lwaPeak.peak, mean: lwaPeak.count / (ticks * TICK_SECONDS) },
    maxVersionsPerSecret: maxWritesPerSecretInWindow(
      writeSecrets.view(),
      writeTimes.view(),
      scenario.sellers,
    ),
    simulatedRunSeconds: simulatedRunMs / 1000,
  };
}

/** The id of the i-th simulated seller: valid by SELLER_ID_PATTERN, 13 characters. */
export function simulatedSellerId(i: number): string {
  return `A${i.toString(36).toUpperCase().padStart(9, '0')}SIM`;
}

/** The expected steady-state refresh rate, for the report. */
export function expectedRefreshesPerSellerDay(config: {
  leadSeconds: number;
  spreadSeconds: number;
}): number {
  return refreshesPerDay(
    meanRefreshIntervalSeconds({
      expiresInSeconds: 3600,
      leadSeconds: config.leadSeconds,
      spreadSeconds: config.spreadSeconds,
      tickSeconds: TICK_SECONDS,
    }),
  );
}

/**
 * `runRefresh` only uses the public members of its dependencies, which the fakes implement; the
 * real classes' private fields are why this one cast is needed.
 */
function asReal<T>(fake: Partial<PublicOf<T>>): T {
  return fake as unknown as T;
}

/** A Float64Array that grows, for millions of samples without boxing each one. */
export class GrowableArray {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
