import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { RefreshRepository } from '../../../lambda/refresh/refresh-repository';
import { StatusCensus } from '../../../lambda/refresh/status-census';

const dynamo = mockClient(DynamoDBDocumentClient);

beforeEach(() => dynamo.reset());

const repository = () =>
  new RefreshRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'sellers');

describe('StatusCensus', () => {
  it('reads one page per run and publishes a pass only once it is complete', async () => {
    // Prepare: a table of three pages
    dynamo
      .on(ScanCommand, { ExclusiveStartKey: undefined })
      .resolves({
        Items: [
          { status: 'ACTIVE', region: 'NA' },
          { status: 'DEGRADED', region: 'NA', kind: 'seller' },
        ],
        LastEvaluatedKey: { sellerId: 'A2', region: 'NA' },
      })
      .on(ScanCommand, { ExclusiveStartKey: { sellerId: 'A2', region: 'NA' } })
      .resolves({
        Items: [
          { status: 'REAUTH_REQUIRED', region: 'EU' },
          { status: 'ACTIVE', region: 'EU', kind: 'grantless' },
          { status: 'ACTIVE', region: 'FE' },
        ],
        LastEvaluatedKey: { sellerId: 'A5', region: 'FE' },
      })
      .on(ScanCommand, { ExclusiveStartKey: { sellerId: 'A5', region: 'FE' } })
      .resolves({
        Items: [
          { status: 'ACCESS_ONLY', region: 'NA' },
          { status: 'ACTIVE', region: 'NA' },
        ],
      });
    const census = new StatusCensus(repository(), ['NA', 'EU'], 2);

    // Act
    const runs = [
      await census.advance(),
      await census.advance(),
      await census.advance(),
      await census.advance(),
    ];

    // Assess: grantless items and regions this refresher does not serve are not counted
    expect(runs[0]).toBeUndefined();
    expect(runs[1]).toBeUndefined();
    const pass = { ACTIVE: 2, DEGRADED: 1, REAUTH_REQUIRED: 1, ACCESS_ONLY: 1, PENDING: 0 };
    expect(runs[2]).toEqual(pass);
    // The next pass has started; the completed one stays published meanwhile.
    expect(runs[3]).toEqual(pass);
    expect(dynamo).toReceiveCommandTimes(ScanCommand, 4);
    expect(dynamo).toReceiveCommandWith(ScanCommand, {
      TableName: 'sellers',
      Limit: 2,
      ProjectionExpression: '#status, #kind, #region',
    });
  });
});
