import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { uniqueName } from '../support/aws-test-env';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';

// These tests prove the harness itself: that globalSetup's environment reaches
// the test process and that default-configured SDK clients land on moto.

function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: test/integration/global-setup.ts did not run');
  return endpoint;
}

describe('environment from globalSetup', () => {
  it('points the SDK at the loopback moto server with fake credentials', () => {
    const endpoint = motoEndpoint();
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ENDPOINT_URL).toBe(endpoint);
    expect(process.env.AWS_REGION).toBe('us-east-1');
    expect(process.env.AWS_ACCESS_KEY_ID).toBe('testing');
    expect(process.env.AWS_PROFILE).toBeUndefined();
  });
});

describe('default-configured clients reach moto', () => {
  const secrets = new SecretsManagerClient({});
  const dynamo = new DynamoDBClient({});

  afterAll(() => {
    secrets.destroy();
    dynamo.destroy();
  });

  it('stores and reads a Secrets Manager secret', async () => {
    const name = uniqueName('harness/secret');
    const created = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    expect(created.ARN).toContain(':123456789012:secret:');

    await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"token":"v2"}' }));
    const got = await secrets.send(new GetSecretValueCommand({ SecretId: name }));

    expect(got.SecretString).toBe('{"token":"v2"}');
    await secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  });

  it('creates a table with a GSI and queries it', async () => {
    const table = uniqueName('harness-table');
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
          { AttributeName: 'dueAt', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'dueAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    try {
      for (const [pk, status, dueAt] of [
        ['a', 'due', 30],
        ['b', 'due', 10],
        ['c', 'ok', 20],
      ] as const) {
        await dynamo.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: pk }, status: { S: status }, dueAt: { N: String(dueAt) } },
          }),
        );
      }

      const due = await dynamo.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byStatus',
          KeyConditionExpression: '#s = :s AND dueAt < :t',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'due' }, ':t': { N: '100' } },
        }),
      );

      expect(due.Items?.map((i) => i.pk?.S)).toEqual(['b', 'a']);
    } finally {
      await dynamo.send(new DeleteTableCommand({ TableName: table }));
    }
  });
});

describe('fault proxy in front of moto', () => {
  let proxy: FaultProxy;
  let secrets: SecretsManagerClient;

  beforeAll(async () => {
    proxy = await startFaultProxy(motoEndpoint());
    // An explicit endpoint beats AWS_ENDPOINT_URL, so only this client goes through the proxy.
    secrets = new SecretsManagerClient({ endpoint: proxy.url, maxAttempts: 5 });
  });

  afterAll(async () => {
    secrets.destroy();
    await proxy.stop();
  });

  beforeEach(() => proxy.reset());

  const tokensOf = (operation: string) =>
    proxy.requests
      .filter((r) => r.operation === operation)
      .map((r) => (JSON.parse(r.body) as { ClientRequestToken?: string }).ClientRequestToken);

  it('PutSecretValue survives two throttles and every attempt carries the same ClientRequestToken', async () => {
    const name = uniqueName('harness/throttled');
    await secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    const token = '11111111-2222-4333-8444-555555555555';
    proxy.failNext({ operation: 'secretsmanager.PutSecretValue', times: 2, response: 'throttle' });

    const put = await secrets.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: token }),
    );

    expect(put.VersionId).toBe(token);
    expect(put.$metadata.attempts).toBe(3);
    expect(proxy.counts()['secretsmanager.PutSecretValue']).toBe(3);
    expect(
      proxy.requests.filter((r) => r.operation === 'secretsmanager.PutSecretValue').map((r) => r.status),
    ).toEqual([400, 400, 200]);
    expect(tokensOf('secretsmanager.PutSecretValue')).toEqual([token, token, token]);
    const got = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got).toMatchObject({ SecretString: 'v2', VersionId: token });
  });

  it('keeps the SDK-generated idempotency token across 500s and connection resets', async () => {
    const name = uniqueName('harness/flaky');
    await secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    proxy.failNext({ operation: 'PutSecretValue', times: 1, response: 'internal-error' });
    proxy.failNext({ operation: 'PutSecretValue', times: 1, response: 'reset' });

    const put = await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));

    const tokens = tokensOf('secretsmanager.PutSecretValue');
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
    expect(put.VersionId).toBe(tokens[0]);
  });
});
