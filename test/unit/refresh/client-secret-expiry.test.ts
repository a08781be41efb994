import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkClientSecretExpiry } from '../../../lambda/refresh/client-secret-expiry';
import type { AppCredentials } from '../../../lambda/shared/app-credentials';
import { LifecycleEvent } from '../../../lambda/shared/lifecycle-events';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW_MS = Date.parse('2026-11-24T20:00:00.000Z');
const DAY = 86_400_000;
const CLIENT_ID = 'amzn1.application-oa2-client.abc';

function check(daysLeft: number | undefined) {
  const credentials: AppCredentials = {
    clientId: CLIENT_ID,
    clientSecret: 'amzn1.oa2-cs.v1.current-secret',
    applicationId: 'amzn1.sp.solution.abc',
    draft: false,
    ...(daysLeft === undefined
      ? {}
      : { clientSecretExpiresAt: new Date(NOW_MS + daysLeft * DAY).toISOString() }),
  };
  const publish = jest.fn(async () => true);
  const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  return {
    publish,
    log,
    expiresAt: credentials.clientSecretExpiresAt,
    run: () =>
      checkClientSecretExpiry({
        appCredentials: { get: async () => credentials },
        documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
        stateTableName: 'state',
        clock: () => NOW_MS,
        events: { publish },
        log,
      }),
  };
}

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
});

describe('checkClientSecretExpiry', () => {
  it('is quiet more than 30 days out, and reads nothing', async () => {
    const { run, publish } = check(31);

    await expect(run()).resolves.toBe(false);
    expect(dynamo).toReceiveCommandTimes(GetCommand, 0);
    expect(publish).not.toHaveBeenCalled();
  });

  it('is quiet when the expiry is not known', async () => {
    await expect(check(undefined).run()).resolves.toBe(false);
  });

  it('at 25 days with no rotation under way: expiring, and the 30-day event is recorded and sent once', async () => {
    // Prepare
    const { run, publish, expiresAt } = check(25);

    // Act
    const expiring = await run();

    // Assess
    expect(expiring).toBe(true);
    const pk = `client-secret-rotation#${CLIENT_ID}#${expiresAt}`;
    expect(dynamo).toReceiveCommandWith(GetCommand, { TableName: 'state', Key: { pk } });
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      Key: { pk },
      ConditionExpression: expect.stringContaining('NOT contains(expiringEventsSent, :t)'),
      ExpressionAttributeValues: expect.objectContaining({ ':threshold': new Set([30]), ':t': 30 }),
    });
    expect(publish).toHaveBeenCalledWith(LifecycleEvent.ClientSecretExpiring, {
      kind: 'app',
      reason: 'expires-within-30-days',
      clientSecretExpiresAt: expiresAt,
    });
  });

  it('does not send a threshold already recorded, but still reports expiring', async () => {
    const { run, publish } = check(25);
    dynamo.on(GetCommand).resolves({ Item: { pk: 'x', expiringEventsSent: new Set([30]) } });

    await expect(run()).resolves.toBe(true);
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 0);
    expect(publish).not.toHaveBeenCalled();
  });

  it('sends the 7-day event once the 30-day one was sent', async () => {
    const { run, publish } = check(6.5);
    dynamo.on(GetCommand).resolves({ Item: { pk: 'x', expiringEventsSent: new Set([30]) } });

    await run();

    expect(publish).toHaveBeenCalledWith(
      LifecycleEvent.ClientSecretExpiring,
      expect.objectContaining({ reason: 'expires-within-7-days' }),
    );
  });

  it('sends nothing when another run recorded the threshold first', async () => {
    const { run, publish } = check(0.5);
    dynamo
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'taken', $metadata: {} }));

    await expect(run()).resolves.toBe(true);
    expect(publish).not.toHaveBeenCalled();
  });

  it('is quiet while a rotation Amazon accepted in the last day is under way', async () => {
    const { run, publish } = check(6);
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'x', state: 'REQUESTED', requestedAt: NOW_MS / 1000 - 3600 } });

    await expect(run()).resolves.toBe(false);
    expect(publish).not.toHaveBeenCalled();
  });

  it('warns again when a rotation was requested two days ago and no new secret came', async () => {
    const { run, publish } = check(6);
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'x', state: 'REQUESTED', requestedAt: NOW_MS / 1000 - 2 * 86_400 } });

    await expect(run()).resolves.toBe(true);
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('without permission to record, sends no event, says which permission, and still reports expiring', async () => {
    const { run, publish, log } = check(6);
    dynamo
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    await expect(run()).resolves.toBe(true);
    expect(publish).not.toHaveBeenCalled();
    expect(JSON.stringify(log.warn.mock.calls)).toContain('dynamodb:UpdateItem');
  });

  it('never fails the run when the table cannot be read', async () => {
    const { run, log } = check(6);
    dynamo.on(GetCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));

    await expect(run()).resolves.toBe(false);
    expect(log.warn).toHaveBeenCalledWith(
      'Could not check when the client secret expires; the refresh goes on',
      {
        error: 'InternalServerError',
      },
    );
  });
});
