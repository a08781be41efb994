import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { deployToEmulators, type EmulatedDeployment } from '../../support/emulated-deployment';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { lambdaContext } from '../auth/auth-test-bed';

type Handler = (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

describe('device authorization API routes (moto + LWA emulator)', () => {
  let emulator: LwaEmulator;
  let deployment: EmulatedDeployment;
  let handler: Handler;
  let logs: LogCapture;
  /** The emulator runs this far ahead of real time; tests move it instead of waiting. */
  let offsetMs = 0;
  const responses: APIGatewayProxyResult[] = [];

  beforeAll(async () => {
    logs = captureLogs();
    emulator = await startLwaEmulator({ now: () => Date.now() + offsetMs });
    deployment = await deployToEmulators({ lwaUrl: emulator.url, namePrefix: 'device-api' });
    Object.assign(process.env, deployment.env);
    jest.isolateModules(() => {
      handler = require('../../../lambda/device/device-api-handler').handler;
    });
  });

  afterAll(async () => {
    logs.restore();
    await emulator.stop();
  });

  async function call(event: APIGatewayProxyEvent, context = lambdaContext) {
    const response = await handler(event, context);
    responses.push(response);
    return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
  }

  const start = (body: unknown, context = lambdaContext) =>
    call(
      {
        ...apiGatewayEvent('/device/authorizations'),
        httpMethod: 'POST',
        resource: '/device/authorizations',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      },
      context,
    );

  const poll = (id: string) =>
    call({
      ...apiGatewayEvent(`/device/authorizations/${id}`),
      resource: '/device/authorizations/{id}',
      pathParameters: { id },
    });

  /**
   * Stores the last poll 60 s ahead of now, so the next poll is early however slow this machine is
   * (within a minute), and returns it. The handler reads the real clock.
   */
  async function holdPollsFor60Seconds(id: string): Promise<number> {
    const lastPolledAt = Math.floor(Date.now() / 1000) + 60;
    await deployment.documentClient.send(
      new UpdateCommand({
        TableName: deployment.stateTableName,
        Key: { pk: `device#${id}` },
        UpdateExpression: 'SET lastPolledAt = :t',
        ExpressionAttributeValues: { ':t': lastPolledAt },
      }),
    );
    return lastPolledAt;
  }

  /** One interval passes, for the API's rate limit (stored poll time) and for LWA's (its clock). */
  async function intervalPasses(id: string, seconds: number) {
    offsetMs += seconds * 1000;
    await deployment.documentClient.send(
      new UpdateCommand({
        TableName: deployment.stateTableName,
        Key: { pk: `device#${id}` },
        UpdateExpression: 'SET lastPolledAt = lastPolledAt - :s',
        ExpressionAttributeValues: { ':s': seconds },
      }),
    );
  }

  it('starts an authorization without revealing the device code, rate-limits polls, and reports authorized', async () => {
    // Act: start
    const started = await start({ region: 'NA', scope: 'profile' });

    // Assess
    expect(started.statusCode).toBe(201);
    expect(Object.keys(started.json).sort()).toEqual([
      'expires_in',
      'id',
      'interval',
      'user_code',
      'verification_uri',
    ]);
    expect(started.json).toMatchObject({
      interval: 5,
      expires_in: 600,
      verification_uri: `${emulator.url}/device`,
    });
    const id = started.json.id as string;
    const userCode = started.json.user_code as string;

    // Act: polling before the interval has passed
    const lastPolledAt = await holdPollsFor60Seconds(id);
    const before = Math.floor(Date.now() / 1000);
    const early = await poll(id);
    const after = Math.floor(Date.now() / 1000);

    // Assess: 429, and Retry-After is what is left of the interval at the second the handler read
    // its clock, which lies between the two readings around the call.
    expect(early.statusCode).toBe(429);
    const retryAfter = Number(early.headers?.['Retry-After']);
    expect(retryAfter).toBeGreaterThanOrEqual(lastPolledAt + 5 - after);
    expect(retryAfter).toBeLessThanOrEqual(lastPolledAt + 5 - before);
    expect(emulator.callCount('device_code')).toBe(0);

    // Act / Assess: after the interval, still pending; a poll right after that is early again
    await intervalPasses(id, 65);
    expect((await poll(id)).json).toEqual({ id, status: 'pending', interval: 5 });
    await holdPollsFor60Seconds(id);
    expect((await poll(id)).statusCode).toBe(429);

    // Act / Assess: the user approves; the next poll stores the tokens and says authorized
    emulator.approveDevice(userCode);
    await intervalPasses(id, 65);
    const authorized = await poll(id);
    expect(authorized.json).toEqual({ id, status: 'authorized' });
    expect(emulator.callCount('device_code')).toBe(2);
    const secretName = `${deployment.tokenSecretPrefix}/devices/NA/${id}`;
    const secret = JSON.parse(
      (await deployment.secretsManager.send(new GetSecretValueCommand({ SecretId: secretName })))
        .SecretString as string,
    );
    expect(emulator.isAccessTokenValid(secret.accessToken)).toBe(true);
    const item = await deployment.documentClient.send(
      new GetCommand({
        TableName: deployment.sellerTableName,
        Key: { sellerId: `device#${id}`, region: 'NA' },
      }),
    );
    expect(item.Item).toMatchObject({ kind: 'device', status: 'ACTIVE' });

    // The ended authorization keeps its status and no device code; LWA is not asked again.
    expect((await poll(id)).json).toEqual({ id, status: 'authorized' });
    expect(emulator.callCount('device_code')).toBe(2);
    const pending = await deployment.documentClient.send(
      new GetCommand({ TableName: deployment.stateTableName, Key: { pk: `device#${id}` } }),
    );
    expect(pending.Item?.deviceCode).toBeUndefined();
    expect(pending.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('reports denied and expired, storing nothing', async () => {
    const denied = (await start({ region: 'EU', scope: 'profile' })).json;
    emulator.denyDevice(denied.user_code as string);
    await intervalPasses(denied.id as string, 5);
    expect((await poll(denied.id as string)).json).toEqual({ id: denied.id, status: 'denied' });

    const expired = (await start({ region: 'EU', scope: 'profile' })).json;
    await deployment.documentClient.send(
      new UpdateCommand({
        TableName: deployment.stateTableName,
        Key: { pk: `device#${expired.id}` },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    expect((await poll(expired.id as string)).json).toEqual({ id: expired.id, status: 'expired' });

    for (const id of [denied.id, expired.id]) {
      const item = await deployment.documentClient.send(
        new GetCommand({
          TableName: deployment.sellerTableName,
          Key: { sellerId: `device#${id}`, region: 'EU' },
        }),
      );
      expect(item.Item).toBeUndefined();
    }
  });

  it.each([
    ['no body', undefined],
    ['not JSON', '{'],
    ['an unknown region', { region: 'XX', scope: 'profile' }],
    ['a malformed scope', { region: 'NA', scope: 'profile openid' }],
  ])('answers 400 to %s', async (_, body) => {
    const response = await start(body === undefined ? '' : body);
    expect(response.statusCode).toBe(400);
    expect(response.json.error).toBe('invalid_request');
  });

  it('answers 503 and sends nothing to LWA when the invocation has too little time left', async () => {
    // Prepare: 9 s left, less than an LWA call's minimum plus the reserve for the writes after it
    const requestsBefore = emulator.requests.length;
    const shortOfTime = { ...lambdaContext, getRemainingTimeInMillis: () => 9_000 };

    // Act
    const response = await start({ region: 'NA', scope: 'profile' }, shortOfTime);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.json.error).toBe('try_again');
    expect(emulator.requests.length).toBe(requestsBefore);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await poll('A'.repeat(22))).statusCode).toBe(404);
    expect((await poll('../../etc')).statusCode).toBe(400);
  });

  it('never returned or logged a token or device code, and every response is no-store', () => {
    const secrets = emulator.issuedSecrets();
    expect(secrets.length).toBeGreaterThan(3);
    for (const response of responses) {
      expect(response.headers?.['Cache-Control']).toBe('no-store');
      for (const secret of secrets) expect(JSON.stringify(response)).not.toContain(secret);
    }
    expect(logs.lines.some((line) => line.includes('Device authorization started'))).toBe(true);
    expect(logs.leaksOf(secrets)).toEqual([]);
  });
});
