import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { processRotationBatch, type RotationBatchRuntime } from './batch';
import { loadRotationConfig } from './config';
import { createRotationDeps } from './wiring';

const config = loadRotationConfig();
const logger = createLogger();
const metrics = new Metrics({ namespace: 'LwaTokenService', serviceName: 'rotation' });
const counts = { ClientSecretsRotated: 0, ClientSecretRotationFailures: 0 };
const runtime: RotationBatchRuntime = {
  deps: createRotationDeps(config, {
    log: logger,
    eventBusName: config.eventBusName,
    onEventDropped: () => metrics.addMetric('LifecycleEventsDropped', MetricUnit.Count, 1),
  }),
  sqs: new SQSClient({}),
  notificationDlqUrl: config.notificationDlqUrl,
  count: (metric) => {
    counts[metric]++;
  },
};

/** Invoked by the SQS event source mapping (ReportBatchItemFailures). */
export async function handleRotationEvent(event: SQSEvent): Promise<SQSBatchResponse> {
  counts.ClientSecretsRotated = 0;
  counts.ClientSecretRotationFailures = 0;
  try {
    return await processRotationBatch(event, runtime);
  } finally {
    // Published on every invocation, zeros included, so the alarms see a continuous series.
    for (const [name, value] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, value);
  }
}

export const handler = middy(handleRotationEvent).use(injectLambdaContext(logger)).use(logMetrics(metrics));
