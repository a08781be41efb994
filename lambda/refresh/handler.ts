import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { systemClock } from '../shared/clock';
import { createLogger, errorName } from '../shared/logger';
import { loadRefreshConfig } from './config';
import { emptyRefreshSummary, type RefreshRunSummary, runRefresh, secretWriteDeadline } from './refresher';
import { parseScheduledTime, refreshDeadline } from './run-deadline';
import { StatusCensus, type StatusCounts } from './status-census';
import { createRefreshDeps } from './wiring';

const config = loadRefreshConfig();
const logger = createLogger();
const metrics = new Metrics({ namespace: 'LwaTokenService', serviceName: 'refresher' });
let eventsDropped = 0;
const deps = createRefreshDeps(config, {
  log: logger,
  onEventDropped: () => {
    eventsDropped++;
  },
});

const census = new StatusCensus(deps.repository, config.regions);

/**
 * Invoked by EventBridge Scheduler with `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`.
 * Duplicates and overlaps are harmless because every refresh happens under a lease on a still-due
 * item; the scheduled time only tells the run how long it may take work (see refreshDeadline).
 */
export async function handleRefresh(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<RefreshRunSummary> {
  const nowMs = systemClock();
  const remainingMs = context.getRemainingTimeInMillis();
  const scheduled = parseScheduledTime(event, nowMs, config.tickSeconds);
  if (scheduled.kind === 'invalid') {
    logger.warn("Ignoring the event's scheduledTime; this run works for REFRESH_RUN_BUDGET_SECONDS", {
      reason: scheduled.reason,
    });
  }
  const deadline = refreshDeadline({
    nowMs,
    remainingMs,
    scheduledTimeMs: scheduled.kind === 'valid' ? scheduled.scheduledTimeMs : undefined,
    limits: config,
  });
  eventsDropped = 0;
  if (deadline.windowClosed) {
    // Throttled behind a predecessor that ran past this tick's window: taking work now would only
    // hold up the successor already queued behind this run, which starts with a full window.
    const skipped = emptyRefreshSummary();
    publish(skipped);
    logger.info("Refresh run skipped: its tick's window closed before it started", {
      deadline: new Date(deadline.deadlineMs).toISOString(),
    });
    return skipped;
  }
  const summary = await runRefresh(deps, {
    deadlineMs: deadline.deadlineMs,
    writeDeadlineMs: secretWriteDeadline(nowMs, remainingMs),
  });
  publish(summary);
  metrics.addMetric('LifecycleEventsDropped', MetricUnit.Count, eventsDropped);
  await publishCensus();
  logger.info('Refresh run finished', { ...summary, deadlineRule: deadline.rule });
  return summary;
}

/** One census page per run, after the refreshes; a failed page is retried next run. */
async function publishCensus(): Promise<void> {
  let counts: StatusCounts | undefined;
  try {
    counts = await census.advance();
  } catch (error) {
    logger.warn('Could not read a page of the sellers-by-status census; it resumes next run', {
      error: errorName(error),
    });
    return;
  }
  for (const [status, count] of Object.entries(counts ?? {})) {
    const metric = metrics.singleMetric();
    metric.addDimension('status', status);
    metric.addMetric('SellersByStatus', MetricUnit.Count, count);
  }
}

function publish(summary: RefreshRunSummary): void {
  metrics.addMetric('SellersDue', MetricUnit.Count, summary.due);
  metrics.addMetric('SellersRefreshed', MetricUnit.Count, summary.refreshed);
  metrics.addMetric('RefreshDegraded', MetricUnit.Count, summary.degraded);
  metrics.addMetric('ReauthRequired', MetricUnit.Count, summary.reauthRequired);
  metrics.addMetric('RotationsStored', MetricUnit.Count, summary.rotationsStored);
  metrics.addMetric('UnpersistedRotations', MetricUnit.Count, summary.unpersistedRotations);
  metrics.addMetric('SecretWriteRetries', MetricUnit.Count, summary.secretWriteRetries);
  metrics.addMetric('LeaseLost', MetricUnit.Count, summary.leaseLost);
  metrics.addMetric('RefreshSuperseded', MetricUnit.Count, summary.superseded);
  metrics.addMetric('AppCredentialFaults', MetricUnit.Count, summary.appFault ? 1 : 0);
  metrics.addMetric('ClientSecretExpiring', MetricUnit.Count, summary.clientSecretExpiring ? 1 : 0);
  metrics.addMetric('RunBudgetExhausted', MetricUnit.Count, summary.budgetExhausted ? 1 : 0);
  // A gauge, not a count of events: alarm on its Maximum.
  metrics.addMetric('TokensExpired', MetricUnit.Count, summary.tokensExpired);
  metrics.addMetric('AuthorizationExpiryNotices', MetricUnit.Count, summary.expiryNotices);
}

export const handler = middy(handleRefresh).use(injectLambdaContext(logger)).use(logMetrics(metrics));
