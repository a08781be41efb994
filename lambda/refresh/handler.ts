import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { AppCredentialsProvider } from '../shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient, DEFAULT_AWS_RETRY } from '../shared/aws-clients';
import { realSleep } from '../shared/backoff';
import { systemClock } from '../shared/clock';
import { createLogger } from '../shared/logger';
import { LwaClient } from '../shared/lwa-client';
import { TokenStore } from '../shared/token-store';
import { loadRefreshConfig } from './config';
import { RateLimiter, Semaphore } from './pacing';
import { reauthEventPublisher } from './reauth-events';
import { RefreshRepository } from './refresh-repository';
import { type RefreshDeps, type RefreshRunSummary, runRefresh } from './refresher';

const config = loadRefreshConfig();
const logger = createLogger();
const metrics = new Metrics({ namespace: 'LwaTokenService', serviceName: 'refresher' });
const secretsManager = createSecretsManagerClient();
const deps: RefreshDeps = {
  repository: new RefreshRepository(createDocumentClient(), config.sellerTableName),
  tokens: new TokenStore(secretsManager, { ...DEFAULT_AWS_RETRY, sleep: realSleep, random: Math.random }),
  lwa: new LwaClient({ timeoutMs: 10_000 }),
  appCredentials: new AppCredentialsProvider(secretsManager, config.appSecretId, systemClock),
  secretWrites: new RateLimiter(config.secretsWritesPerSecond, systemClock, realSleep),
  lwaCalls: new Semaphore(config.lwaMaxConcurrency),
  clock: systemClock,
  sleep: realSleep,
  random: Math.random,
  lwaRetry: { baseDelayMs: 250, maxDelayMs: 5_000 },
  log: logger,
  onReauthRequired: config.eventBusName
    ? reauthEventPublisher(new EventBridgeClient({}), config.eventBusName)
    : undefined,
  config,
};

/**
 * Invoked by EventBridge Scheduler. The event carries nothing we need; duplicates and overlaps
 * are harmless because every refresh happens under a lease on a still-due item.
 */
export async function handleRefresh(
  _event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<RefreshRunSummary> {
  const now = systemClock();
  const deadlineMs =
    now +
    Math.min(
      config.runBudgetSeconds * 1000,
      context.getRemainingTimeInMillis() - config.stopBeforeTimeoutSeconds * 1000,
    );
  const summary = await runRefresh(deps, { deadlineMs });
  publish(summary);
  logger.info('Refresh run finished', { ...summary });
  return summary;
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
  metrics.addMetric('AppCredentialFaults', MetricUnit.Count, summary.appFault ? 1 : 0);
  metrics.addMetric('RunBudgetExhausted', MetricUnit.Count, summary.budgetExhausted ? 1 : 0);
}

export const handler = middy(handleRefresh).use(injectLambdaContext(logger)).use(logMetrics(metrics));
