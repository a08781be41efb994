import * as fs from 'node:fs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Region } from '../../../lambda/shared/regions';
import { DEFAULT_CLIENT, startLwaEmulator } from '../../emulators/lwa';
import { clientSecretExpiryNotification, startSpApiEmulator } from '../../emulators/spapi';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { awsEnvFor, uniqueName } from '../../support/aws-test-env';
import { deployToEmulators, EMULATOR_APPLICATION_ID } from '../../support/emulated-deployment';
import { bundleHandlers, type HandlerName, invokeBundle } from '../../support/lambda-bundle';
import { ensureNode24 } from '../../support/node24';
import { sellerIds, startRefreshHarness } from '../../support/refresh-harness';
import { type AuthHandlers, AuthTestBed, locationOf, newSellerId } from '../auth/auth-test-bed';

/**
 * Runtime parity: Lambda runs `nodejs24.x`, while the rest of the suite runs the sources in this
 * jest process on the machine's Node. Here every handler is bundled exactly as `cdk synth` bundles
 * it and invoked once, realistically, in a Node 24 subprocess against moto and the emulators.
 */
describe('the Lambda bundles on Node 24 (moto + LWA and SP-API emulators)', () => {
  let node24: string;
  let bundles: { outdir: string; paths: Record<HandlerName, string> };
  /** Everything every bundle printed, scanned for secrets at the end. */
  const printed: string[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    [node24, bundles] = await Promise.all([ensureNode24(), bundleHandlers()]);
  });

  afterAll(() => {
    if (bundles) fs.rmSync(bundles.outdir, { recursive: true, force: true });
    // No code, token or client secret in anything a bundle printed.
    expect(secrets.length).toBeGreaterThan(0);
    expect(printed.length).toBeGreaterThan(0);
    expect(printed.filter((line) => secrets.some((secret) => line.includes(secret)))).toEqual([]);
  });

  /** The function's environment as the construct sets it, and the AWS endpoint that leads to moto. */
  const functionEnv = (env: Readonly<Record<string, string>>) => ({
    ...awsEnvFor(process.env.AWS_ENDPOINT_URL as string),
    NODE_OPTIONS: '--enable-source-maps',
    ...env,
  });

  async function invoke<T>(
    name: HandlerName,
    event: unknown,
    env: Readonly<Record<string, string>>,
    remainingTimeMs?: number,
  ) {
    const invocation = await invokeBundle<T>(node24, bundles.paths[name], event, {
      env: functionEnv(env),
      remainingTimeMs,
    });
    printed.push(...invocation.lines);
    // Each bundle really ran on the runtime Lambda gives it.
    expect(invocation.nodeVersion).toMatch(/^v24\./);
    return invocation.result;
  }

  const apiHandlers = (env: Readonly<Record<string, string>>): AuthHandlers => ({
    handleAuthorize: (event) => invoke<APIGatewayProxyResult>('authorize', event, env),
    handleLogin: (event) => invoke<APIGatewayProxyResult>('login', event, env),
    handleCallback: (event) => invoke<APIGatewayProxyResult>('callback', event, env),
  });

  it('authorize, login and callback: a seller is authorized and its tokens stored', async () => {
    const bed = await AuthTestBed.start({ loadHandlers: apiHandlers });
    try {
      // Act: /login as Seller Central calls it, then /authorize and the consented /callback
      const sellerId = newSellerId();
      const login = await bed.login([
        [
          'amazon_callback_uri',
          'https://sellercentral.amazon.co.uk/apps/authorize/confirm/amzn1.sp.solution.emulator-app',
        ],
        ['amazon_state', 'amazon-state-opaque-123'],
        ['selling_partner_id', sellerId],
      ]);
      const { code, query } = await bed.consentedCallback(sellerId);
      const callback = await bed.callback(query);

      // Assess
      expect(login.statusCode).toBe(302);
      expect(new URL(locationOf(login)).searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(callback.statusCode).toBe(200);
      expect(await bed.tokenSecretNames()).toEqual([bed.secretName('EU', sellerId)]);
      expect(await bed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
      const exchanges = bed.emulator.requests.filter((r) => r.grantType === 'authorization_code');
      expect(exchanges).toEqual([expect.objectContaining({ subject: sellerId, status: 200 })]);
      secrets.push(code, ...bed.emulator.issuedSecrets(), ...bed.clientSecrets);
    } finally {
      await bed.stop();
    }
  });

  it('refresh: the scheduled run refreshes every due seller', async () => {
    // Prepare: sellers authorized 55 minutes ago, so they are due now by the real clock
    const harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600 } });
    try {
      harness.clock.advance(-3300_000);
      const sellers = sellerIds(3, 'N24').map((sellerId, i) => ({
        sellerId,
        region: (['NA', 'EU', 'FE'] as Region[])[i] as Region,
      }));
      await harness.authorize(sellers);
      const lwaUrl = harness.lwa.NA.url;

      // Act: what EventBridge Scheduler invokes
      const summary = await invoke<{ refreshed: number }>(
        'refresh',
        { source: 'aws.scheduler' },
        { ...harness.deployment.env, LWA_ENDPOINTS: JSON.stringify({ NA: lwaUrl, EU: lwaUrl, FE: lwaUrl }) },
        // The refresh function runs for up to 5 minutes; its budget is 50 s of that.
        300_000,
      );

      // Assess
      expect(summary).toMatchObject({ refreshed: 3 });
      for (const seller of sellers) {
        const secret = await harness.readSecret(seller.sellerId, seller.region);
        expect(harness.lwa.NA.isAccessTokenValid(secret.accessToken)).toBe(true);
        expect(Date.parse(secret.accessTokenExpiresAt)).toBeGreaterThan(Date.now() + 3000_000);
      }
      secrets.push(...harness.issuedSecrets());
    } finally {
      await harness.stop();
    }
  });

  it('client-secret rotation: an expiry notice from SQS rotates the secret once', async () => {
    // Prepare: a client secret that expires in 7 days, and the queue SP-API notifies
    const now = Date.now();
    const expiresAt = now + 7 * 86_400_000;
    const originalSecret = 'amzn1.oa2-cs.v1.node24-original-client-secret-01234';
    const lwa = await startLwaEmulator({
      clients: [
        { clientId: DEFAULT_CLIENT.clientId, clientSecret: originalSecret, clientSecretExpiresAt: expiresAt },
      ],
    });
    const sqs = new SQSClient({});
    try {
      const deployment = await deployToEmulators({
        lwaUrl: lwa.url,
        clientSecret: originalSecret,
        namePrefix: 'node24-rotation',
        extraAppSecretFields: { clientSecretExpiresAt: new Date(expiresAt).toISOString() },
      });
      const queueUrl =
        (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('node24-notifications') })))
          .QueueUrl ?? '';
      const dlqUrl =
        (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('node24-dlq') }))).QueueUrl ?? '';
      const spApi = await startSpApiEmulator({
        lwa,
        clientId: DEFAULT_CLIENT.clientId,
        applicationId: EMULATOR_APPLICATION_ID,
        notificationQueueUrl: queueUrl,
      });
      const env = {
        ...deployment.env,
        SPAPI_ENDPOINTS: JSON.stringify({ NA: spApi.url }),
        APPLICATION_REGION: 'NA',
        NOTIFICATION_DLQ_URL: dlqUrl,
      };
      /** What the event source mapping does: receive a batch, invoke, delete what did not fail. */
      const deliver = async () => {
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        const messages = received.Messages ?? [];
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
        const response = await invoke<SQSBatchResponse>('rotation', event, env);
        for (const m of messages) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
        return { bodies: messages.map((m) => m.Body ?? ''), failed: response.batchItemFailures };
      };

      try {
        // Act: the expiry notice, then the new-secret notification SP-API sent in reply
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: clientSecretExpiryNotification({
              applicationId: EMULATOR_APPLICATION_ID,
              now,
              clientId: DEFAULT_CLIENT.clientId,
              clientSecretExpiresAt: expiresAt,
            }),
          }),
        );
        const notice = await deliver();
        const newSecret = await deliver();

        // Assess
        expect(notice).toEqual({ bodies: [expect.any(String)], failed: [] });
        expect(spApi.rotationCount()).toBe(1);
        expect(newSecret.failed).toEqual([]);
        expect(newSecret.bodies).toEqual([expect.stringContaining('APPLICATION_OAUTH_CLIENT_NEW_SECRET')]);
        const stored = await deployment.secretsManager.send(
          new GetSecretValueCommand({ SecretId: deployment.appSecretId }),
        );
        const [, rotated] = lwa.clientSecrets();
        expect(JSON.parse(stored.SecretString ?? '{}')).toMatchObject({
          clientSecret: rotated,
          previousClientSecret: originalSecret,
        });
        secrets.push(...lwa.clientSecrets(), ...lwa.issuedSecrets());
      } finally {
        await spApi.stop();
      }
    } finally {
      sqs.destroy();
      await lwa.stop();
    }
  });

  it('device API: starts a device authorization', async () => {
    const lwa = await startLwaEmulator();
    try {
      const deployment = await deployToEmulators({ lwaUrl: lwa.url, namePrefix: 'node24-device' });
      const event: APIGatewayProxyEvent = {
        ...apiGatewayEvent('/device/authorizations'),
        httpMethod: 'POST',
        resource: '/device/authorizations',
        body: JSON.stringify({ region: 'NA', scope: 'profile' }),
      };

      // Act
      const response = await invoke<APIGatewayProxyResult>('deviceApi', event, deployment.env);

      // Assess
      expect(response.statusCode).toBe(201);
      expect(JSON.parse(response.body)).toMatchObject({
        interval: 5,
        expires_in: 600,
        verification_uri: `${lwa.url}/device`,
        user_code: expect.any(String),
      });
      secrets.push(...lwa.issuedSecrets());
    } finally {
      await lwa.stop();
    }
  });
});
