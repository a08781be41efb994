import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { systemClock } from '../shared/clock';
import { createLogger, errorName } from '../shared/logger';
import { loadRefreshConfig } from './config';
import { type RefreshRunSummary, runRefresh, secretWriteDeadline } from './refresher';
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
 * Invoked by EventBridge Scheduler. The event carries nothing we need; duplicates and overlaps
 * are harmless because every refresh happens under a lease on a still-due item.
 */
export async function handleRefresh(
  _event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<RefreshRunSummary> {
  const nowMs = systemClock();
  const remainingMs = context.getRemainingTimeInMillis();
  const deadlineMs = refreshDeadline(nowMs, remainingMs, config);
  eventsDropped = 0;
  const summary = await runRefresh(deps, {
    deadlineMs,
    writeDeadlineMs: secretWriteDeadline(nowMs, remainingMs),
  });
  publish(summary);
  metrics.addMetric('LifecycleEventsDropped', MetricUnit.Count, eventsDropped);
  await publishCensus();
  logger.info('Refresh run finished', { ...summary });
  return summary;
}

/** Stop taking work after the run budget, and always well before the Lambda timeout. */
export function refreshDeadline(
  nowMs: number,
  remainingMs: number,
  limits: { runBudgetSeconds: number; stopBeforeTimeoutSeconds: number },
): number {
  return (
    nowMs + Math.min(limits.runBudgetSeconds * 1000, remainingMs - limits.stopBeforeTimeoutSeconds * 1000)
  );
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
