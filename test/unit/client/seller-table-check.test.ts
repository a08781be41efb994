import 'aws-sdk-client-mock-jest';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  SellerNotAuthorizedError,
  TokenClient,
  TokenExpiredError,
  TokenReadError,
} from '../../../lambda/client';

const SELLER = 'A2EUQ1WTGCTBG2';
const ACCESS_TOKEN = 'Atza|IwEBIFirstAccessTokenValue0123456789';
const REFRESH_TOKEN = 'Atzr|IwEBIRefreshTokenValueAbcdefghijklmnop';
const NOW = Date.parse('2026-11-24T20:19:26.000Z');
const HOUR = 3_600_000;
const TABLE = 'SellersTable-1A2B3C';

const secretsManager = mockClient(SecretsManagerClient);
const dynamoDb = mockClient(DynamoDBClient);

function tokenSecret(overrides: Record<string, unknown> = {}): { SecretString: string } {
  return {
    SecretString: JSON.stringify({
      sellerId: SELLER,
      region: 'EU',
      accessToken: ACCESS_TOKEN,
      accessTokenExpiresAt: new Date(NOW + HOUR).toISOString(),
      refreshToken: REFRESH_TOKEN,
      tokenType: 'bearer',
      updatedAt: new Date(NOW).toISOString(),
      ...overrides,
    }),
  };
}

function statusItem(status: string) {
  return { Item: { status: { S: status } } };
}

function newClient(): TokenClient {
  return new TokenClient({
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    clock: () => NOW,
    sellerTable: { client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: TABLE },
  });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected the promise to reject with an Error');
}

beforeEach(() => {
  secretsManager.reset();
  dynamoDb.reset();
});

it('reads the seller status by key alongside the secret and serves an ACTIVE seller', async () => {
  // Prepare
  secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
  dynamoDb.on(GetItemCommand).resolves(statusItem('ACTIVE'));
  const client = newClient();

  // Act
  const token = await client.getAccessToken({ sellerId: SELLER, region: 'EU' });
  await client.getAccessToken({ sellerId: SELLER, region: 'EU' });

  // Assess: one lookup per read; the cache hit touches neither service.
  expect(token.accessToken).toBe(ACCESS_TOKEN);
  expect(dynamoDb).toReceiveCommandWith(GetItemCommand, {
    TableName: TABLE,
    Key: { sellerId: { S: SELLER }, region: { S: 'EU' } },
    ProjectionExpression: '#status',
    ExpressionAttributeNames: { '#status': 'status' },
  });
  expect(dynamoDb).toReceiveCommandTimes(GetItemCommand, 1);
  expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
});

it('raises SellerNotAuthorizedError for REAUTH_REQUIRED even though the secret holds an unexpired token', async () => {
  // Prepare
  secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
  dynamoDb.on(GetItemCommand).resolves(statusItem('REAUTH_REQUIRED'));
  const client = newClient();

  // Act
  const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'EU' }));
  await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'EU' }));

  // Assess
  expect(error).toBeInstanceOf(SellerNotAuthorizedError);
  expect(error).toMatchObject({ reason: 'REAUTH_REQUIRED', sellerId: SELLER, region: 'EU' });
  expect(error.message).toContain('must authorize this application again in region EU');
  expect(error.message).toContain('/authorize?region=EU');
  expect(error.message).not.toContain(ACCESS_TOKEN);
  expect(dynamoDb).toReceiveCommandTimes(GetItemCommand, 2);
});

it('prefers the REAUTH_REQUIRED message when the secret is missing too', async () => {
  // Prepare
  secretsManager
    .on(GetSecretValueCommand)
    .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
  dynamoDb.on(GetItemCommand).resolves(statusItem('REAUTH_REQUIRED'));

  // Act
  const error = await errorOf(newClient().getAccessToken({ sellerId: SELLER, region: 'EU' }));

  // Assess
  expect(error).toMatchObject({ name: 'SellerNotAuthorizedError', reason: 'REAUTH_REQUIRED' });
});

it('serves the token when the seller has no table item yet', async () => {
  // Prepare: the callback writes the secret before the item.
  secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
  dynamoDb.on(GetItemCommand).resolves({});

  // Act
  const token = await newClient().getAccessToken({ sellerId: SELLER, region: 'EU' });

  // Assess
  expect(token.accessToken).toBe(ACCESS_TOKEN);
});

it('uses the table status to explain an expired token', async () => {
  // Prepare
  const expired = tokenSecret({ accessTokenExpiresAt: new Date(NOW - HOUR).toISOString() });
  secretsManager.on(GetSecretValueCommand).resolves(expired);
  dynamoDb.on(GetItemCommand).resolvesOnce(statusItem('DEGRADED')).resolves(statusItem('ACCESS_ONLY'));
  const client = newClient();

  // Act
  const degraded = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'EU' }));
  const accessOnly = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'EU' }));

  // Assess
  expect(degraded).toBeInstanceOf(TokenExpiredError);
  expect(degraded).toMatchObject({ refreshable: true });
  expect(degraded.message).toContain('(sellers table status: DEGRADED)');
  expect(degraded.message).toContain('the refresher is behind or failing');
  expect(accessOnly).toMatchObject({ name: 'TokenExpiredError', refreshable: false });
  expect(accessOnly.message).toContain('LWA returned no refresh token');
});

it('fails with a hint about dynamodb:GetItem when the table cannot be read, and reads again next time', async () => {
  // Prepare
  const denied = Object.assign(new Error('not authorized to perform: dynamodb:GetItem'), {
    name: 'AccessDeniedException',
  });
  secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
  dynamoDb.on(GetItemCommand).rejectsOnce(denied).resolves(statusItem('ACTIVE'));
  const client = newClient();

  // Act
  const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'EU' }));
  const token = await client.getAccessToken({ sellerId: SELLER, region: 'EU' });

  // Assess
  expect(error).toBeInstanceOf(TokenReadError);
  expect(error).toMatchObject({ causeName: 'AccessDeniedException', cause: denied });
  expect(error.message).toContain(`dynamodb:GetItem on the sellers table`);
  expect(error.message).toContain(TABLE);
  expect(token.accessToken).toBe(ACCESS_TOKEN);
});

it.each([
  [
    'a failure that is not about permissions',
    new Error('Dynamic require of "@aws-sdk/client-dynamodb" is not supported'),
  ],
  ['throttling', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })],
])('does not blame a missing dynamodb:GetItem permission for %s', async (_case, failure) => {
  // Prepare
  secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
  dynamoDb.on(GetItemCommand).rejects(failure);

  // Act
  const error = await errorOf(newClient().getAccessToken({ sellerId: SELLER, region: 'EU' }));

  // Assess
  expect(error).toBeInstanceOf(TokenReadError);
  expect(error.message).toContain(TABLE);
  expect(error.message).not.toContain('dynamodb:GetItem');
});

it('never consults the table for grantless tokens', async () => {
  // Prepare
  secretsManager
    .on(GetSecretValueCommand)
    .resolves(
      tokenSecret({ sellerId: undefined, refreshToken: undefined, scope: 'sellingpartnerapi::migration' }),
    );

  // Act
  await newClient().getGrantlessToken({ scope: 'sellingpartnerapi::migration', region: 'EU' });

  // Assess
  expect(dynamoDb).toReceiveCommandTimes(GetItemCommand, 0);
});
