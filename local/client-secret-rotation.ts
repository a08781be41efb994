import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseAppCredentials } from '../lambda/shared/app-credentials';
import type { LwaEmulator } from '../test/emulators/lwa';
import {
  clientSecretExpiryNotification,
  type SpApiEmulator,
  startSpApiEmulator,
} from '../test/emulators/spapi';
import { EMULATOR_APPLICATION_ID, type EmulatedDeployment } from '../test/support/emulated-deployment';
import { lambdaContext } from './lambda-context';

export type RotationHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** When the app's client secrets expire, as the status page shows it; never a secret. */
export interface ClientSecretStatus {
  readonly expiresAt?: string;
  readonly previousExpiresAt?: string;
}

export async function readClientSecretStatus(
  secretsManager: SecretsManagerClient,
  appSecretId: string,
): Promise<ClientSecretStatus> {
  const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: appSecretId }));
  const credentials = parseAppCredentials(appSecretId, output.SecretString);
  return {
    expiresAt: credentials.clientSecretExpiresAt,
    previousExpiresAt: credentials.previousClientSecret
      ? credentials.previousClientSecretExpiresAt
      : undefined,
  };
}

/**
 * The client-secret rotation on loopback: a notification queue in moto (what Amazon sends to),
 * the SP-API emulator (which rotates the LWA emulator's secret and sends the new one to the
 * queue), and the event source mapping's part: deliver queued messages to the real handler.
 */
export class LocalClientSecretRotation {
  private constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly spApi: SpApiEmulator,
    private readonly deployment: EmulatedDeployment,
    /** What the construct would set on the rotation function, on top of the shared environment. */
    readonly env: Record<string, string>,
  ) {}

  static async start(lwa: LwaEmulator, deployment: EmulatedDeployment): Promise<LocalClientSecretRotation> {
    const sqs = new SQSClient({});
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'local-notifications' }))).QueueUrl;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'local-notifications-dlq' })))
      .QueueUrl;
    if (!queueUrl || !dlqUrl) throw new Error('moto returned no queue URL');
    const spApi = await startSpApiEmulator({
      lwa,
      applicationId: EMULATOR_APPLICATION_ID,
      notificationQueueUrl: queueUrl,
      sqs,
    });
    return new LocalClientSecretRotation(sqs, queueUrl, spApi, deployment, {
      SPAPI_ENDPOINTS: JSON.stringify({ NA: spApi.url, EU: spApi.url, FE: spApi.url }),
      APPLICATION_REGION: 'NA',
      NOTIFICATION_DLQ_URL: dlqUrl,
    });
  }

  get spApiUrl(): string {
    return this.spApi.url;
  }

  /** What Amazon sends some days before the current secret expires. */
  async sendExpiryNotice(): Promise<void> {
    const output = await this.deployment.secretsManager.send(
      new GetSecretValueCommand({ SecretId: this.deployment.appSecretId }),
    );
    const credentials = parseAppCredentials(this.deployment.appSecretId, output.SecretString);
    const expiresAt = Date.parse(credentials.clientSecretExpiresAt ?? '');
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: clientSecretExpiryNotification({
          applicationId: credentials.applicationId,
          now: Date.now(),
          clientId: credentials.clientId,
          clientSecretExpiresAt: Number.isNaN(expiresAt) ? Date.now() + 7 * 86_400_000 : expiresAt,
        }),
      }),
    );
  }

  /** One poll of the event source mapping: receive, invoke, delete what did not fail. */
  async deliver(handler: RotationHandler): Promise<number> {
    const received = await this.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    const response = await handler(
      {
        Records: messages.map((m) => ({
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          attributes: {},
          messageAttributes: {},
          md5OfBody: m.MD5OfBody ?? '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:local-notifications',
          awsRegion: 'us-east-1',
        })),
      } as unknown as SQSEvent,
      lambdaContext('rotation', 30_000),
    );
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of messages) {
      if (!failed.has(m.MessageId ?? '')) {
        await this.sqs.send(
          new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
    return messages.length;
  }

  async stop(): Promise<void> {
    await this.spApi.stop();
    this.sqs.destroy();
  }
}
