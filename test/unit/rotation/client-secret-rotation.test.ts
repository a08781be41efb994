import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApplicationManagementClient, ROTATION_SCOPE } from '../../../lambda/rotation/application-management';
import { processRotationBatch } from '../../../lambda/rotation/batch';
import {
  type ClientSecretRotationDeps,
  clientRequestTokenFor,
  handleRotationNotification,
  RotationRejectedError,
  RotationRetryableError,
} from '../../../lambda/rotation/client-secret-rotation';
import { CLIENT_NEW_SECRET, CLIENT_SECRET_EXPIRY } from '../../../lambda/rotation/notifications';
import { AppCredentialsProvider } from '../../../lambda/shared/app-credentials';
import { LifecycleEvent } from '../../../lambda/shared/lifecycle-events';
import { LwaClient } from '../../../lambda/shared/lwa-client';

const secretsManager = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const NOW_MS = Date.parse('2026-11-24T20:00:00.000Z');
const APP_SECRET_ID = 'lwa-app-credentials';
const CLIENT_ID = 'amzn1.application-oa2-client.abc';
const OLD_SECRET = 'amzn1.oa2-cs.v1.old-client-secret';
const NEW_SECRET = 'amzn1.oa2-cs.v1.new-client-secret';
const OLDER_SECRET = 'amzn1.oa2-cs.v1.older-client-secret';
const GRANTLESS_TOKEN = 'Atza|rotation-grantless-token';
const EXPIRY = '2026-12-01T00:00:00.000Z';
const NEW_EXPIRY = '2027-05-30T00:00:00.000Z';
const OLD_EXPIRY = '2026-12-08T00:00:00.000Z';
const LWA = 'https://lwa.test';
const SPAPI = 'https://spapi.test';
const DLQ_URL = 'https://sqs.test/123456789012/notifications-dlq';
const SECRETS = [OLD_SECRET, NEW_SECRET, OLDER_SECRET, GRANTLESS_TOKEN];

const appSecret = (fields: Record<string, unknown> = {}) => ({
  clientId: CLIENT_ID,
  clientSecret: OLD_SECRET,
  applicationId: 'amzn1.sp.solution.abc',
  draft: false,
  clientSecretExpiresAt: EXPIRY,
  ...fields,
});

const envelope = (type: string, payload: Record<string, unknown>, notificationId = 'notification-1') =>
  JSON.stringify({
    notificationVersion: '1.0',
    notificationType: type,
    payloadVersion: '1.0',
    eventTime: '2026-11-24T20:00:00.000Z',
    payload,
    notificationMetadata: {
      applicationId: 'amzn1.sp.solution.abc',
      subscriptionId: 'subscription-1',
      publishTime: '2026-11-24T20:00:00.000Z',
      notificationId,
    },
  });

const expiryNotice = (clientId = CLIENT_ID) =>
  envelope(CLIENT_SECRET_EXPIRY, {
    applicationOAuthClientSecretExpiry: {
      clientId,
      clientSecretExpiryTime: EXPIRY,
      clientSecretExpiryReason: 'PERIODIC_ROTATION',
    },
  });

const newSecretNotice = (newClientSecret = NEW_SECRET, notificationId = 'notification-2') =>
  envelope(
    CLIENT_NEW_SECRET,
    {
      applicationOAuthClientNewSecret: {
        clientId: CLIENT_ID,
        newClientSecret,
        newClientSecretExpiryTime: NEW_EXPIRY,
        oldClientSecretExpiryTime: OLD_EXPIRY,
      },
    },
    notificationId,
  );

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

interface Harness {
  deps: { -readonly [K in keyof ClientSecretRotationDeps]: ClientSecretRotationDeps[K] };
  /** Answers SP-API; LWA always issues GRANTLESS_TOKEN. */
  spApi: jest.Mock<Response, [RequestInit | undefined]>;
  lwaForms: URLSearchParams[];
  published: jest.Mock;
  logs: unknown[][];
}

function harness(stored: Record<string, unknown> = appSecret()): Harness {
  const lwaForms: URLSearchParams[] = [];
  const spApi = jest.fn((_init: RequestInit | undefined) => new Response(null, { status: 204 }));
  const fetch = jest.fn(async (url: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => {
    if (String(url).startsWith(LWA)) {
      lwaForms.push(new URLSearchParams(String(init?.body)));
      return json(200, { access_token: GRANTLESS_TOKEN, token_type: 'bearer', expires_in: 3600 });
    }
    expect(String(url)).toBe(`${SPAPI}/applications/2023-11-30/clientSecret`);
    return spApi(init);
  }) as unknown as typeof globalThis.fetch;
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(stored) });
  secretsManager.on(PutSecretValueCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  const logs: unknown[][] = [];
  const record = (...args: unknown[]) => {
    logs.push(args);
  };
  const published = jest.fn(async () => true);
  const sm = new SecretsManagerClient({ region: 'us-east-1' });
  const deps: ClientSecretRotationDeps = {
    secretsManager: sm,
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    appCredentials: new AppCredentialsProvider(sm, APP_SECRET_ID, () => NOW_MS),
    lwa: new LwaClient({ fetch }),
    spApi: new ApplicationManagementClient({ fetch }),
    clock: () => NOW_MS,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 },
    log: { info: record, warn: record, error: record },
    events: { publish: published },
    config: {
      appSecretId: APP_SECRET_ID,
      stateTableName: 'state',
      applicationRegion: 'NA',
      lwaEndpoint: LWA,
      spApiEndpoint: SPAPI,
    },
  };
  return { deps, spApi, lwaForms, published, logs };
}

function expectNoSecretLogged(logs: unknown[][]): void {
  const text = JSON.stringify(logs);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

beforeEach(() => {
  secretsManager.reset();
  dynamo.reset();
  sqs.reset();
});

describe('an expiry notice', () => {
  it('claims the rotation record, then asks SP-API with a grantless token of the rotation scope', async () => {
    // Prepare
    const { deps, spApi, lwaForms, logs } = harness();

    // Act
    const outcome = await handleRotationNotification(deps, expiryNotice());

    // Assess
    expect(outcome).toBe('requested');
    expect(lwaForms).toHaveLength(1);
    expect(Object.fromEntries(lwaForms[0] as URLSearchParams)).toEqual({
      grant_type: 'client_credentials',
      scope: ROTATION_SCOPE,
      client_id: CLIENT_ID,
      client_secret: OLD_SECRET,
    });
    expect(spApi).toHaveBeenCalledTimes(1);
    expect(spApi.mock.calls[0]?.[0]).toMatchObject({
      method: 'POST',
      headers: expect.objectContaining({ 'x-amz-access-token': GRANTLESS_TOKEN }),
    });
    const updates = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({
      Key: { pk: `client-secret-rotation#${CLIENT_ID}#${EXPIRY}` },
      ConditionExpression:
        'attribute_not_exists(#state) OR #state IN (:failed, :rejected) OR (#state = :calling AND attemptAt < :stale) ' +
        'OR (#state = :requested AND requestedAt < :unanswered)',
      ExpressionAttributeValues: expect.objectContaining({
        ':calling': 'CALLING',
        ':now': NOW_MS / 1000,
        ':stale': NOW_MS / 1000 - 300,
        ':unanswered': NOW_MS / 1000 - 86_400,
      }),
    });
    expect(updates[1]).toMatchObject({
      ExpressionAttributeValues: expect.objectContaining({ ':state': 'REQUESTED' }),
    });
    expectNoSecretLogged(logs);
  });

  it('does nothing when the rotation for that expiry was already claimed (a redelivery)', async () => {
    // Prepare
    const { deps, spApi, lwaForms } = harness();
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // Act
    const outcome = await handleRotationNotification(deps, expiryNotice());

    // Assess
    expect(outcome).toBe('already-requested');
    expect(lwaForms).toHaveLength(0);
    expect(spApi).not.toHaveBeenCalled();
  });

  it('does nothing when the stored secret already expires later than the notice says', async () => {
    const { deps, spApi } = harness(appSecret({ clientSecretExpiresAt: NEW_EXPIRY }));

    await expect(handleRotationNotification(deps, expiryNotice())).resolves.toBe('already-rotated');
    expect(spApi).not.toHaveBeenCalled();
  });

  it.each([429, 500, 503])(
    'on HTTP %i fails retryably and frees the record for the next delivery',
    async (status) => {
      // Prepare
      const { deps, spApi } = harness();
      spApi.mockReturnValue(json(status, { errors: [{ code: 'QuotaExceeded', message: 'slow down' }] }));

      // Act
      const outcome = handleRotationNotification(deps, expiryNotice());

      // Assess
      await expect(outcome).rejects.toThrow(RotationRetryableError);
      const last = dynamo.commandCalls(UpdateCommand).at(-1)?.args[0].input;
      expect(last?.ExpressionAttributeValues).toMatchObject({ ':state': 'FAILED' });
    },
  );

  it('on HTTP 403 is refused for good, with a message that names the scope and the CLI', async () => {
    // Prepare
    const { deps, spApi } = harness();
    spApi.mockReturnValue(json(403, { errors: [{ code: 'Unauthorized', message: 'Access denied' }] }));

    // Act
    const outcome = handleRotationNotification(deps, expiryNotice());

    // Assess
    await expect(outcome).rejects.toThrow(RotationRejectedError);
    await expect(outcome).rejects.toThrow(
      /sellingpartnerapi::client_credential:rotation.*rotate-client-secret/s,
    );
    const last = dynamo.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(last?.ExpressionAttributeValues).toMatchObject({ ':state': 'REJECTED' });
  });

  it('when LWA rejects the client even after a fresh read, is refused for good with a fix that names the credentials', async () => {
    // Prepare
    const { deps, spApi } = harness();
    const lwaFetch = jest.fn(async () => json(401, { error: 'invalid_client' }));
    deps.lwa = new LwaClient({ fetch: lwaFetch as unknown as typeof fetch });

    // Act
    const outcome = handleRotationNotification(deps, expiryNotice());

    // Assess
    await expect(outcome).rejects.toThrow(RotationRejectedError);
    await expect(outcome).rejects.toThrow(/invalid_client.*fix the app credentials secret/);
    expect(spApi).not.toHaveBeenCalled();
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('for another client id is dropped with one line naming only the type', async () => {
    const { deps, spApi, logs } = harness();

    const outcome = await handleRotationNotification(
      deps,
      expiryNotice('amzn1.application-oa2-client.other'),
    );

    expect(outcome).toBe('dropped');
    expect(spApi).not.toHaveBeenCalled();
    expect(logs).toEqual([
      ['Dropped a notification this function does not handle', { notificationType: CLIENT_SECRET_EXPIRY }],
    ]);
  });
});

describe('a new-secret notice', () => {
  it('stores the new secret as current and the old one as previous, with a token derived from the notificationId', async () => {
    // Prepare
    const { deps, published, logs } = harness(appSecret({ extraField: 'kept' }));

    // Act
    const outcome = await handleRotationNotification(deps, newSecretNotice());

    // Assess
    expect(outcome).toBe('stored');
    expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 1);
    const put = secretsManager.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
    expect(put?.ClientRequestToken).toBe(clientRequestTokenFor('notification-2'));
    expect(put?.ClientRequestToken).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(JSON.parse(put?.SecretString ?? '')).toEqual({
      ...appSecret({ extraField: 'kept' }),
      clientSecret: NEW_SECRET,
      previousClientSecret: OLD_SECRET,
      previousClientSecretExpiresAt: OLD_EXPIRY,
      clientSecretExpiresAt: NEW_EXPIRY,
    });
    expect(published).toHaveBeenCalledWith(LifecycleEvent.ClientSecretRotated, {
      kind: 'app',
      reason: 'new-secret-notification',
      clientSecretExpiresAt: NEW_EXPIRY,
      previousClientSecretExpiresAt: OLD_EXPIRY,
    });
    expect(JSON.stringify(published.mock.calls)).not.toContain(NEW_SECRET);
    expectNoSecretLogged(logs);
  });

  it('the same token for the same notification, another for another', () => {
    expect(clientRequestTokenFor('n-1')).toBe(clientRequestTokenFor('n-1'));
    expect(clientRequestTokenFor('n-1')).not.toBe(clientRequestTokenFor('n-2'));
  });

  it('redelivered after it was stored changes nothing (the new secret never becomes the previous one)', async () => {
    // Prepare: the first delivery already stored it
    const { deps, published } = harness(
      appSecret({
        clientSecret: NEW_SECRET,
        previousClientSecret: OLD_SECRET,
        previousClientSecretExpiresAt: OLD_EXPIRY,
        clientSecretExpiresAt: NEW_EXPIRY,
      }),
    );

    // Act
    const outcome = await handleRotationNotification(deps, newSecretNotice());

    // Assess
    expect(outcome).toBe('unchanged');
    expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 0);
    expect(published).not.toHaveBeenCalled();
  });

  it('arriving after a later rotation changes nothing', async () => {
    const { deps } = harness(
      appSecret({
        clientSecret: 'amzn1.oa2-cs.v1.even-newer',
        previousClientSecret: NEW_SECRET,
        clientSecretExpiresAt: '2027-11-26T00:00:00.000Z',
      }),
    );

    await expect(handleRotationNotification(deps, newSecretNotice())).resolves.toBe('stale');
    expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 0);
  });

  it('whose token already wrote a version (a concurrent redelivery) changes nothing', async () => {
    const { deps, published } = harness();
    secretsManager
      .on(PutSecretValueCommand)
      .rejects(new ResourceExistsException({ message: 'token reused', $metadata: { httpStatusCode: 400 } }));

    await expect(handleRotationNotification(deps, newSecretNotice())).resolves.toBe('unchanged');
    expect(published).not.toHaveBeenCalled();
  });
});

describe('processRotationBatch', () => {
  const event = (...bodies: string[]): SQSEvent =>
    ({ Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body })) }) as unknown as SQSEvent;

  it('retries 429s, dead-letters 403s, drops what it does not handle, and counts', async () => {
    // Prepare
    const { deps, spApi, logs } = harness();
    spApi
      .mockReturnValueOnce(json(429, {}))
      .mockReturnValueOnce(json(403, { errors: [{ code: 'Unauthorized' }] }));
    sqs.on(SendMessageCommand).resolves({});
    const counted: string[] = [];

    // Act
    const response = await processRotationBatch(
      event(expiryNotice(), expiryNotice(), '{not json', newSecretNotice()),
      {
        deps,
        sqs: new SQSClient({ region: 'us-east-1' }),
        notificationDlqUrl: DLQ_URL,
        count: (metric) => counted.push(metric),
      },
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 1);
    expect(sqs).toReceiveCommandWith(SendMessageCommand, { QueueUrl: DLQ_URL, MessageBody: expiryNotice() });
    expect(counted.sort()).toEqual([
      'ClientSecretRotationFailures',
      'ClientSecretRotationFailures',
      'ClientSecretsRotated',
    ]);
    expect(JSON.stringify(logs)).toContain('rotate-client-secret');
    expectNoSecretLogged(logs);
  });
});
