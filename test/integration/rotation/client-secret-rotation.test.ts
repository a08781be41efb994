import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { completeAuthorization } from '../../../lambda/auth/seller-authorization';
import { StateStore } from '../../../lambda/auth/state-store';
import { loadRefreshConfig } from '../../../lambda/refresh/config';
import { runRefresh } from '../../../lambda/refresh/refresher';
import { createRefreshDeps } from '../../../lambda/refresh/wiring';
import { AppCredentialsProvider } from '../../../lambda/shared/app-credentials';
import { DEFAULT_AWS_RETRY } from '../../../lambda/shared/aws-clients';
import { noLifecycleEvents } from '../../../lambda/shared/lifecycle-events';
import { LwaClient } from '../../../lambda/shared/lwa-client';
import { SellerRepository } from '../../../lambda/shared/seller-repository';
import { TokenStore } from '../../../lambda/shared/token-store';
import { DEFAULT_CLIENT, type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import {
  clientNewSecretNotification,
  clientSecretExpiryNotification,
  ROTATION_SCOPE,
  type SpApiEmulator,
  startSpApiEmulator,
} from '../../emulators/spapi';
import { uniqueName } from '../../support/aws-test-env';
import {
  deployToEmulators,
  EMULATOR_APPLICATION_ID,
  type EmulatedDeployment,
} from '../../support/emulated-deployment';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { SimulatedClock } from '../../support/refresh-harness';
import { lambdaContext } from '../auth/auth-test-bed';

const CLIENT_ID = DEFAULT_CLIENT.clientId;
const ORIGINAL_SECRET = 'amzn1.oa2-cs.v1.original-client-secret-0123456789';
const DAY = 86_400_000;
const REDIRECT_URI = 'https://example.execute-api.us-east-1.amazonaws.com/prod/callback';

type Handler = (event: SQSEvent, context: typeof lambdaContext) => Promise<SQSBatchResponse>;

interface Delivery {
  readonly bodies: string[];
  readonly failed: string[];
}

describe('client-secret rotation end to end (moto SQS, LWA and SP-API emulators, the real handler)', () => {
  let logs: LogCapture;
  let clock: SimulatedClock;
  let lwa: LwaEmulator;
  let spApi: SpApiEmulator;
  let deployment: EmulatedDeployment;
  let sqs: SQSClient;
  let queueUrl: string;
  let dlqUrl: string;
  let handler: Handler;
  let startedAt: number;
  let eventsQueueUrl: string;
  let busName: string;
  /** Receipt handles of messages the handler reported as failed: back on the queue after their timeout. */
  const inFlightMessages: string[] = [];

  beforeAll(async () => {
    logs = captureLogs();
    startedAt = Math.floor(Date.now() / 1000) * 1000;
    clock = new SimulatedClock(startedAt);
    lwa = await startLwaEmulator({
      now: clock.now,
      clients: [
        { clientId: CLIENT_ID, clientSecret: ORIGINAL_SECRET, clientSecretExpiresAt: startedAt + 7 * DAY },
      ],
    });
    deployment = await deployToEmulators({
      lwaUrl: lwa.url,
      clientSecret: ORIGINAL_SECRET,
      namePrefix: 'rotation',
      extraAppSecretFields: { clientSecretExpiresAt: new Date(startedAt + 7 * DAY).toISOString() },
    });
    sqs = new SQSClient({});
    dlqUrl =
      (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('notifications-dlq') }))).QueueUrl ?? '';
    queueUrl =
      (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('notifications') }))).QueueUrl ?? '';
    spApi = await startSpApiEmulator({
      lwa,
      clientId: CLIENT_ID,
      applicationId: EMULATOR_APPLICATION_ID,
      notificationQueueUrl: queueUrl,
      now: clock.now,
    });
    // Lifecycle events go to a bus whose rule copies them to a queue the test reads.
    const events = new EventBridgeClient({});
    busName = uniqueName('lifecycle');
    await events.send(new CreateEventBusCommand({ Name: busName }));
    eventsQueueUrl =
      (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('events') }))).QueueUrl ?? '';
    const eventsQueueArn = (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: eventsQueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    await events.send(
      new PutRuleCommand({
        Name: uniqueName('all'),
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: ['lwa-token-service'] }),
      }),
    );
    const rules = await events.send(new ListRulesCommand({ EventBusName: busName }));
    await events.send(
      new PutTargetsCommand({
        Rule: rules.Rules?.[0]?.Name,
        EventBusName: busName,
        Targets: [{ Id: 'queue', Arn: eventsQueueArn }],
      }),
    );
    Object.assign(process.env, {
      EVENT_BUS_NAME: busName,
      ...deployment.env,
      SPAPI_ENDPOINTS: JSON.stringify({ NA: spApi.url }),
      APPLICATION_REGION: 'NA',
      NOTIFICATION_DLQ_URL: dlqUrl,
    });
    jest.isolateModules(() => {
      handler = require('../../../lambda/rotation/handler').handler;
    });
  });

  afterAll(async () => {
    logs.restore();
    await spApi?.stop();
    await lwa?.stop();
  });

  /** What an event source mapping does: receive, invoke, delete what the handler did not report as failed. */
  async function deliver(): Promise<Delivery> {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return { bodies: [], failed: [] };
    const event = {
      Records: messages.map((m) => ({
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body,
        attributes: {},
        messageAttributes: {},
        md5OfBody: m.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:notifications',
        awsRegion: 'us-east-1',
      })),
    } as unknown as SQSEvent;
    const response = await handler(event, lambdaContext);
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
    for (const m of messages) {
      if (!failed.includes(m.MessageId ?? '')) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      } else {
        inFlightMessages.push(m.ReceiptHandle ?? '');
      }
    }
    return { bodies: messages.map((m) => m.Body ?? ''), failed };
  }

  const send = (body: string) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

  async function appSecret(secretsManager: SecretsManagerClient = deployment.secretsManager) {
    const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: deployment.appSecretId }));
    return {
      value: JSON.parse(output.SecretString ?? '{}') as Record<string, unknown>,
      versionId: output.VersionId,
    };
  }

  async function versionCount(): Promise<number> {
    const output = await deployment.secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: deployment.appSecretId, IncludeDeprecated: true }),
    );
    return output.Versions?.length ?? 0;
  }

  const expiryNotice = () =>
    clientSecretExpiryNotification({
      applicationId: EMULATOR_APPLICATION_ID,
      now: clock.now(),
      clientId: CLIENT_ID,
      clientSecretExpiresAt: startedAt + 7 * DAY,
    });

  /** A callback Lambda's dependencies; its credentials cache is what a warm container holds. */
  function callbackContainer() {
    const retry = { ...DEFAULT_AWS_RETRY, sleep: async () => {}, random: Math.random };
    const config = loadRefreshConfig({ ...deployment.env, REFRESH_REGIONS: 'NA' });
    return {
      states: new StateStore(deployment.documentClient, deployment.stateTableName, clock.now),
      appCredentials: new AppCredentialsProvider(
        deployment.secretsManager,
        deployment.appSecretId,
        clock.now,
      ),
      lwa: new LwaClient(),
      tokens: new TokenStore(deployment.secretsManager, retry),
      sellers: new SellerRepository(deployment.documentClient, deployment.sellerTableName),
      events: noLifecycleEvents,
      clock: clock.now,
      random: Math.random,
      retry,
      config: {
        tokenSecretPrefix: config.tokenSecretPrefix,
        lwaEndpoints: config.lwaEndpoints,
        kmsKeyId: config.kmsKeyId,
        leadSeconds: config.leadSeconds,
        spreadSeconds: config.spreadSeconds,
      },
    };
  }

  function refreshDeps(appCredentials?: AppCredentialsProvider) {
    const config = loadRefreshConfig({ ...deployment.env, REFRESH_REGIONS: 'NA', EVENT_BUS_NAME: busName });
    const deps = createRefreshDeps(config, {
      log: new Logger({ serviceName: 'rotation-test-refresher' }),
      clock: clock.now,
      sleep: async (ms) => clock.advance(ms),
      secretsManager: deployment.secretsManager,
      documentClient: deployment.documentClient,
    });
    return appCredentials ? { ...deps, appCredentials } : deps;
  }

  const lwaRequestsSince = (index: number) => lwa.requests.slice(index);

  it('rotates once, stores both secrets, ignores redeliveries and strangers, and keeps every LWA caller working', async () => {
    // Containers that are warm before the rotation and keep the original secret in their cache
    const warmCallback = callbackContainer();
    await warmCallback.appCredentials.get();
    const stuckRun = new AppCredentialsProvider(
      deployment.secretsManager,
      deployment.appSecretId,
      clock.now,
      Number.MAX_SAFE_INTEGER,
    );
    await stuckRun.get();
    const stuckCallback = {
      ...callbackContainer(),
      appCredentials: new AppCredentialsProvider(
        deployment.secretsManager,
        deployment.appSecretId,
        clock.now,
        Number.MAX_SAFE_INTEGER,
      ),
    };
    await stuckCallback.appCredentials.get();

    // Before the notice: the secret expires in 7 days and nothing rotates it, so the refresher warns once
    const warned = await runRefresh(refreshDeps(), { deadlineMs: clock.now() + 50_000 });
    const warnedAgain = await runRefresh(refreshDeps(), { deadlineMs: clock.now() + 50_000 });
    expect(warned.clientSecretExpiring).toBe(true);
    expect(warnedAgain.clientSecretExpiring).toBe(true);
    const recordKey = {
      pk: `client-secret-rotation#${CLIENT_ID}#${new Date(startedAt + 7 * DAY).toISOString()}`,
    };
    const warnedRecord = await deployment.documentClient.send(
      new GetCommand({ TableName: deployment.stateTableName, Key: recordKey }),
    );
    expect(warnedRecord.Item?.expiringEventsSent).toEqual(new Set([7]));

    // 1. The expiry notice arrives (twice: SQS delivers at least once) and exactly one rotation call is made
    await send(expiryNotice());
    const lwaBefore = lwa.requests.length;
    const first = await deliver();
    await send(expiryNotice());
    const redelivered = await deliver();

    expect(first.failed).toEqual([]);
    expect(spApi.rotationCount()).toBe(1);
    expect(spApi.requests).toHaveLength(1);
    expect(spApi.requests[0]).toMatchObject({ method: 'POST', scope: ROTATION_SCOPE, status: 204 });
    const grantless = lwaRequestsSince(lwaBefore).filter((r) => r.grantType === 'client_credentials');
    expect(grantless).toEqual([expect.objectContaining({ subject: ROTATION_SCOPE, status: 200 })]);
    // The redelivery's batch also carried the new-secret notification SP-API sent meanwhile.
    expect(redelivered.failed).toEqual([]);
    expect(spApi.rotationCount()).toBe(1);
    const newSecretBody = redelivered.bodies.find((b) => b.includes('APPLICATION_OAUTH_CLIENT_NEW_SECRET'));
    const expiries = lwa.clientSecretExpiries(CLIENT_ID);

    const rotationRecord = await deployment.documentClient.send(
      new GetCommand({ TableName: deployment.stateTableName, Key: recordKey }),
    );
    expect(rotationRecord.Item).toMatchObject({ state: 'REQUESTED', expiringEventsSent: new Set([7]) });

    // 2. The new-secret notification was handled: both secrets and their expiry times are stored
    expect(newSecretBody).toBeDefined();
    const [, newSecret] = lwa.clientSecrets();
    const stored = await appSecret();
    expect(stored.value).toEqual({
      clientId: CLIENT_ID,
      clientSecret: newSecret,
      applicationId: EMULATOR_APPLICATION_ID,
      draft: false,
      previousClientSecret: ORIGINAL_SECRET,
      previousClientSecretExpiresAt: new Date(expiries.previousExpiresAt as number).toISOString(),
      clientSecretExpiresAt: new Date(expiries.currentExpiresAt as number).toISOString(),
    });

    // With the new secret stored (180 days to go) the refresher no longer warns
    expect((await runRefresh(refreshDeps(), { deadlineMs: clock.now() + 50_000 })).clientSecretExpiring).toBe(
      false,
    );

    // The "Client secret rotated" event carries the expiry times, and no secret
    const published = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const rotatedEvents = (published.Messages ?? [])
      .map((m) => JSON.parse(m.Body ?? '{}'))
      .filter((e) => e['detail-type'] === 'Client secret rotated');
    expect(rotatedEvents).toHaveLength(1);
    expect(rotatedEvents[0].detail).toEqual({
      kind: 'app',
      reason: 'new-secret-notification',
      clientSecretExpiresAt: stored.value.clientSecretExpiresAt,
      previousClientSecretExpiresAt: stored.value.previousClientSecretExpiresAt,
    });
    const expiringEvents = (published.Messages ?? [])
      .map((m) => JSON.parse(m.Body ?? '{}'))
      .filter((e) => e['detail-type'] === 'Client secret expiring');
    expect(expiringEvents.map((e) => e.detail)).toEqual([
      {
        kind: 'app',
        reason: 'expires-within-7-days',
        clientSecretExpiresAt: new Date(startedAt + 7 * DAY).toISOString(),
      },
    ]);
    expect(JSON.stringify(published.Messages)).not.toContain(newSecret as string);
    expect(JSON.stringify(published.Messages)).not.toContain(ORIGINAL_SECRET);

    // 3. The same notification, redelivered, changes nothing
    const versionsBefore = await versionCount();
    await send(newSecretBody as string);
    const third = await deliver();
    expect(third.failed).toEqual([]);
    expect(await appSecret()).toEqual(stored);
    expect(await versionCount()).toBe(versionsBefore);

    // 4. A notification for another client id, and a malformed one, are dropped (and deleted)
    await send(
      clientNewSecretNotification({
        applicationId: 'amzn1.sp.solution.someone-else',
        now: clock.now(),
        clientId: 'amzn1.application-oa2-client.someone-else',
        newClientSecret: 'amzn1.oa2-cs.v1.someone-elses-secret',
        newClientSecretExpiresAt: clock.now() + 180 * DAY,
        oldClientSecretExpiresAt: clock.now() + 7 * DAY,
      }),
    );
    await send('{"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "payload": ');
    const strangers = await deliver();
    expect(strangers.bodies).toHaveLength(2);
    expect(strangers.failed).toEqual([]);
    expect(await appSecret()).toEqual(stored);
    const dropped = logs.lines.filter((l) => l.includes('Dropped a notification'));
    expect(dropped.map((l) => JSON.parse(l).notificationType).sort()).toEqual([
      'APPLICATION_OAUTH_CLIENT_NEW_SECRET',
      'unknown',
    ]);
    expect(await deliver()).toEqual({ bodies: [], failed: [] });
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');

    // 6. A callback in a warm container still holding the original secret succeeds (the old one still works)
    const beforeCallback = lwa.requests.length;
    const sellerId = 'AROTATION00001';
    await completeAuthorization(warmCallback, {
      state: await warmCallback.states.create({ region: 'NA' }),
      sellerId,
      code: lwa.issueAuthorizationCode({ sellerId }),
      redirectUri: REDIRECT_URI,
    });
    expect(lwaRequestsSince(beforeCallback)).toEqual([
      expect.objectContaining({ grantType: 'authorization_code', clientSecretUsed: 'previous', status: 200 }),
    ]);

    // 5. The next refresh run (a fresh read) authenticates with the new secret only
    clock.advance(3600_000);
    const beforeRun = lwa.requests.length;
    const run = await runRefresh(refreshDeps(), { deadlineMs: clock.now() + 50_000 });
    expect(run).toMatchObject({ refreshed: 1, degraded: 0 });
    expect(run.appFault).toBeUndefined();
    const runRequests = lwaRequestsSince(beforeRun);
    expect(runRequests.length).toBeGreaterThan(0);
    expect(runRequests.every((r) => r.clientSecretUsed === 'current')).toBe(true);

    // 7. After the old secret expired, a run still holding it recovers through a fresh read
    clock.advanceTo((expiries.previousExpiresAt as number) + 60_000);
    const beforeStuck = lwa.requests.length;
    const recovered = await runRefresh(refreshDeps(stuckRun), { deadlineMs: clock.now() + 50_000 });
    expect(recovered.appFault).toBeUndefined();
    expect(recovered.refreshed).toBe(1);
    expect(lwaRequestsSince(beforeStuck).map((r) => r.clientSecretUsed)).toEqual(['rejected', 'current']);
    // ... and so does a callback in a container still holding it: the code is exchanged with the new secret
    const beforeStuckCallback = lwa.requests.length;
    await completeAuthorization(stuckCallback, {
      state: await stuckCallback.states.create({ region: 'NA' }),
      sellerId: 'AROTATION00002',
      code: lwa.issueAuthorizationCode({ sellerId: 'AROTATION00002' }),
      redirectUri: REDIRECT_URI,
    });
    expect(
      lwaRequestsSince(beforeStuckCallback).map((r) => [r.grantType, r.clientSecretUsed, r.status]),
    ).toEqual([
      ['authorization_code', 'rejected', 401],
      ['authorization_code', 'current', 200],
    ]);

    // Leak scan: every log line of the whole test, for both client secrets and every token issued
    expect(logs.lines.length).toBeGreaterThan(5);
    expect(logs.leaksOf([ORIGINAL_SECRET, newSecret as string, ...lwa.issuedSecrets()])).toEqual([]);
    expect(logs.lines.join('\n')).not.toContain('amzn1.oa2-cs.v1.someone-elses-secret');
  }, 60_000);

  it('returns a throttled rotation to the queue, and moves one Amazon refuses (403) to the dead-letter queue with the fix in the log', async () => {
    // Prepare: the notice is about the secret stored by the previous test
    const current = (await appSecret()).value;
    const notice = clientSecretExpiryNotification({
      applicationId: EMULATOR_APPLICATION_ID,
      now: clock.now(),
      clientId: CLIENT_ID,
      clientSecretExpiresAt: Date.parse(current.clientSecretExpiresAt as string),
    });
    clock.advance(120_000); // past SP-API's one-call-a-minute limit
    spApi.failNext(429, 403);
    await send(notice);

    // Act: the first delivery is throttled
    const throttled = await deliver();

    // Assess: reported as a batch item failure, so the mapping left it on the queue
    expect(throttled.bodies).toHaveLength(1);
    expect(throttled.failed).toHaveLength(1);
    const inFlight = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(inFlight.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');

    // Act: its visibility timeout runs out and SQS delivers it again; now Amazon refuses
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    const message = again.Messages?.[0];
    expect(message).toBeUndefined(); // still invisible: nothing is redelivered early
    await redeliverInFlight();
    const refused = await deliver();

    // Assess: done with for good, in the dead-letter queue, and the log says what to fix
    expect(refused.bodies).toHaveLength(1);
    expect(refused.failed).toEqual([]);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 0 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual([notice]);
    const refusal = logs.lines.find((l) => l.includes('Amazon refused the rotation'));
    expect(refusal).toContain('sellingpartnerapi::client_credential:rotation');
    expect(refusal).toContain('npx lwa-tokens rotate-client-secret');
    expect(JSON.parse(refusal as string).level).toBe('ERROR');
    expect(logs.leaksOf([...lwa.clientSecrets(), ...lwa.issuedSecrets()])).toEqual([]);
  }, 60_000);

  /** What the end of a visibility timeout does, without waiting for it. */
  async function redeliverInFlight(): Promise<void> {
    for (const m of inFlightMessages) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m, VisibilityTimeout: 0 }),
      );
    }
    inFlightMessages.length = 0;
  }
});
