import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type DueItem, RefreshRepository } from '../../../lambda/refresh/refresh-repository';

const TABLE = 'sellers';
const NOW = 1_795_983_600;
const OWNER = 'run-1';
const KEY: DueItem = { sellerId: 'A1SELLER0001', region: 'NA', nextRefreshAt: NOW - 5 };

describe('RefreshRepository', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const repository = () =>
    new RefreshRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE, 2);
  const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

  beforeEach(() => {
    dynamo.reset();
  });

  describe('dueItems', () => {
    it('queries the byRegion index page by page and skips items without the index keys', async () => {
      // Prepare
      dynamo
        .on(QueryCommand)
        .resolvesOnce({
          Items: [
            { sellerId: 'A1', region: 'NA', nextRefreshAt: NOW - 100 },
            { sellerId: 'A2', region: 'NA' },
          ],
          LastEvaluatedKey: { sellerId: 'A2', region: 'NA', nextRefreshAt: NOW - 50 },
        })
        .resolvesOnce({ Items: [{ sellerId: 'A3', region: 'NA', nextRefreshAt: NOW }] });

      // Act
      const items: DueItem[] = [];
      for await (const item of repository().dueItems('NA', NOW)) items.push(item);

      // Assess
      expect(items).toEqual([
        { sellerId: 'A1', region: 'NA', nextRefreshAt: NOW - 100 },
        { sellerId: 'A3', region: 'NA', nextRefreshAt: NOW },
      ]);
      expect(dynamo).toReceiveCommandTimes(QueryCommand, 2);
      expect(dynamo).toHaveReceivedNthCommandWith(1, QueryCommand, {
        TableName: TABLE,
        IndexName: 'byRegion',
        KeyConditionExpression: '#region = :region AND nextRefreshAt <= :now',
        ExpressionAttributeValues: { ':region': 'NA', ':now': NOW },
        Limit: 2,
        ExclusiveStartKey: undefined,
      });
      expect(dynamo).toHaveReceivedNthCommandWith(2, QueryCommand, {
        ExclusiveStartKey: { sellerId: 'A2', region: 'NA', nextRefreshAt: NOW - 50 },
      });
    });
  });

  describe('acquireLease', () => {
    it('returns the item with the lease when the conditional write succeeds, PENDING items included', async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolves({ Attributes: { sellerId: 'A1SELLER0001', leaseOwner: OWNER } });

      // Act
      const item = await repository().acquireLease(KEY, OWNER, NOW, 360);

      // Assess
      expect(item).toEqual({ sellerId: 'A1SELLER0001', leaseOwner: OWNER });
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        ConditionExpression: expect.stringContaining('#status IN (:active, :degraded, :pending)'),
        ExpressionAttributeValues: expect.objectContaining({
          ':active': 'ACTIVE',
          ':degraded': 'DEGRADED',
          ':pending': 'PENDING',
          ':until': NOW + 360,
        }),
        ReturnValues: 'ALL_NEW',
      });
    });

    it('with force, drops only the "still due" condition and keeps the live-lease one', async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolves({ Attributes: { sellerId: 'A1SELLER0001', leaseOwner: OWNER } });

      // Act
      await repository().acquireLease(KEY, OWNER, NOW, 360, { force: true });

      // Assess
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        ConditionExpression:
          'attribute_exists(sellerId) AND #status IN (:active, :degraded, :pending) AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
      });
    });

    it('without force, the item must still be due', async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolves({});

      // Act
      await repository().acquireLease(KEY, OWNER, NOW, 360);

      // Assess
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        ConditionExpression: expect.stringContaining('nextRefreshAt <= :now'),
      });
    });

    it('answers undefined when another holder has the lease or the item is no longer due', async () => {
      // Prepare
      dynamo.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const item = await repository().acquireLease(KEY, OWNER, NOW, 360);

      // Assess
      expect(item).toBeUndefined();
    });

    it('rethrows any other failure', async () => {
      // Prepare
      dynamo
        .on(UpdateCommand)
        .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

      // Act
      const outcome = repository().acquireLease(KEY, OWNER, NOW, 360);

      // Assess
      await expect(outcome).rejects.toThrow('throttled');
    });
  });

  describe('writes under the lease', () => {
    it('answers lease-lost when the lease was taken over under the same fence', async () => {
      // Prepare
      dynamo.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const kept = await repository().recordDegraded(KEY, OWNER, {
        nowSeconds: NOW,
        nextRefreshAt: NOW + 60,
        errorCode: 'server_error',
        failureCount: 1,
      });

      // Assess
      expect(kept).toEqual({ outcome: 'lease-lost' });
    });

    it('requires the fence the lease was taken under, and answers superseded with the new one when it moved', async () => {
      // Prepare: a re-authorization set a new fence and cleared the lease
      dynamo.on(UpdateCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'failed',
          $metadata: {},
          Item: { authorizationId: { S: 'auth-2' }, status: { S: 'PENDING' } },
        }),
      );

      // Act
      const written = await repository().recordReauthRequired(
        { ...KEY, authorizationId: 'auth-1' },
        OWNER,
        NOW,
        'invalid_grant',
      );

      // Assess
      expect(written).toEqual({ outcome: 'superseded', authorizationId: 'auth-2' });
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        ConditionExpression: 'leaseOwner = :owner AND authorizationId = :fence',
        ExpressionAttributeValues: expect.objectContaining({ ':owner': OWNER, ':fence': 'auth-1' }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('answers lease-lost when the fence is unchanged but the lease is not ours', async () => {
      // Prepare
      dynamo.on(UpdateCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'failed',
          $metadata: {},
          Item: { authorizationId: { S: 'auth-1' }, leaseOwner: { S: 'run-2' } },
        }),
      );

      // Act
      const written = await repository().releaseLease({ ...KEY, authorizationId: 'auth-1' }, OWNER);

      // Assess
      expect(written).toEqual({ outcome: 'lease-lost' });
    });

    it('releases the lease with a REMOVE-only update conditioned on the owner', async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolves({});

      // Act
      const released = await repository().releaseLease(KEY, OWNER);

      // Assess
      expect(released).toEqual({ outcome: 'written' });
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        TableName: TABLE,
        Key: { sellerId: KEY.sellerId, region: 'NA' },
        UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
        // An item never authorized since fences existed has none, and must still have none.
        ConditionExpression: 'leaseOwner = :owner AND attribute_not_exists(authorizationId)',
        ExpressionAttributeValues: { ':owner': OWNER },
      });
    });
  });
});
