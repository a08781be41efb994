import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { errorName } from '../shared/logger';
import {
  type ClientSecretRotationDeps,
  handleRotationNotification,
  RotationRejectedError,
  RotationRetryableError,
} from './client-secret-rotation';

export interface RotationBatchRuntime {
  readonly deps: ClientSecretRotationDeps;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly notificationDlqUrl: string;
  readonly count: (metric: 'ClientSecretsRotated' | 'ClientSecretRotationFailures') => void;
}

/**
 * One SQS batch, message by message. A message that may succeed later (throttling, 5xx) is
 * reported as a batch item failure so SQS redelivers it; one Amazon refused (403) goes straight
 * to the dead-letter queue, because no redelivery can fix it. The body is never logged.
 */
export async function processRotationBatch(
  event: SQSEvent,
  runtime: RotationBatchRuntime,
): Promise<SQSBatchResponse> {
  const { log } = runtime.deps;
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const outcome = await handleRotationNotification(runtime.deps, record.body);
      if (outcome === 'stored') runtime.count('ClientSecretsRotated');
    } catch (error) {
      runtime.count('ClientSecretRotationFailures');
      if (error instanceof RotationRejectedError) {
        try {
          await runtime.sqs.send(
            new SendMessageCommand({ QueueUrl: runtime.notificationDlqUrl, MessageBody: record.body }),
          );
          log.error(error.message, { messageId: record.messageId, code: error.code });
          continue;
        } catch (sendError) {
          log.error('Could not move a refused rotation notice to the dead-letter queue; it is retried', {
            messageId: record.messageId,
            error: errorName(sendError),
          });
        }
      } else {
        log.error('Could not handle a rotation notification; SQS delivers it again', {
          messageId: record.messageId,
          error: errorName(error),
          ...(error instanceof RotationRetryableError ? { code: error.code } : {}),
        });
      }
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
