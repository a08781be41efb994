import 'aws-sdk-client-mock-jest';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  SellerNotAuthorizedError,
  TokenClient,
  TokenClientConfigError,
  type TokenClientOptions,
} from '../../../lambda/client';
import type { Region } from '../../../lambda/shared/region-codes';

// The parsing rules and messages of TOKEN_SECRET_REGIONS are the shared vectors
// (contract-vectors.test.ts); this file covers how the map routes reads and combines with options.

const SELLER = 'A2EUQ1WTGCTBG2';
const NOW = Date.parse('2026-11-24T20:00:00.000Z');
const THREE_REGIONS = '{"NA":"us-east-1","EU":"eu-west-1","FE":"us-west-2"}';

const secretsManager = mockClient(SecretsManagerClient);
const dynamoDb = mockClient(DynamoDBClient);
const savedEnv = process.env.TOKEN_SECRET_REGIONS;

function tokenSecret(id: Record<string, string | undefined>, region: string): string {
  return JSON.stringify({
    ...id,
    region,
    accessToken: `Atza|unit-${region}`,
    accessTokenExpiresAt: '2026-11-24T21:00:00.000Z',
    refreshToken: 'Atzr|unit-refresh',
    tokenType: 'bearer',
    updatedAt: '2026-11-24T20:00:00.000Z',
  });
}

/** The AWS region of the client each GetSecretValue was sent with, in call order. */
async function regionsAsked(): Promise<string[]> {
  return Promise.all(
    secretsManager
      .commandCalls(GetSecretValueCommand)
      .map((call) => (call.thisValue as SecretsManagerClient).config.region()),
  );
}

function clientsAsked(): SecretsManagerClient[] {
  return secretsManager
    .commandCalls(GetSecretValueCommand)
    .map((call) => call.thisValue as SecretsManagerClient);
}

function newClient(options: TokenClientOptions = {}): TokenClient {
  return new TokenClient({ secretPrefix: 'lwa-tokens', clock: () => NOW, ...options });
}

function constructionError(options: TokenClientOptions): TokenClientConfigError {
  try {
    newClient(options);
  } catch (error) {
    if (error instanceof TokenClientConfigError) return error;
    throw error;
  }
  throw new Error('expected the constructor to throw TokenClientConfigError');
}

/** A sellers table of one stack: answers every GetItem with `status`, and counts them. */
function fakeTable(status: string) {
  const send = jest.fn(async (_command: GetItemCommand) => ({ Item: { status: { S: status } } }));
  return { table: { client: { send } as unknown as DynamoDBClient, tableName: `Sellers-${status}` }, send };
}

beforeEach(() => {
  dynamoDb.reset();
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const [, kind, region, id] = input.SecretId.split('/') as [string, string, string, string];
    const idField = kind === 'sellers' ? { sellerId: id } : kind === 'devices' ? { accountId: id } : {};
    return { SecretString: tokenSecret(idField, region) };
  });
  delete process.env.TOKEN_SECRET_REGIONS;
});

afterAll(() => {
  if (savedEnv === undefined) delete process.env.TOKEN_SECRET_REGIONS;
  else process.env.TOKEN_SECRET_REGIONS = savedEnv;
});

describe('routing reads by TOKEN_SECRET_REGIONS', () => {
  it('sends seller, grantless and device reads to the AWS region of their SP-API region', async () => {
    // Prepare
    process.env.TOKEN_SECRET_REGIONS = THREE_REGIONS;
    const client = newClient();

    // Act
    await client.getAccessToken({ sellerId: SELLER, region: 'EU' });
    await client.getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'FE' });
    await client.getDeviceToken({ accountId: 'living-room-tv', region: 'NA' });

    // Assess
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      `lwa-tokens/sellers/EU/${SELLER}`,
      'lwa-tokens/grantless/FE/sellingpartnerapi-notifications',
      'lwa-tokens/devices/NA/living-room-tv',
    ]);
    expect(await regionsAsked()).toEqual(['eu-west-1', 'us-west-2', 'us-east-1']);
  });

  it('creates one SecretsManagerClient per AWS region, shared by SP-API regions and by token clients', async () => {
    // Prepare: NA and FE share a stack's AWS region
    process.env.TOKEN_SECRET_REGIONS = '{"NA":"us-east-1","EU":"eu-west-1","FE":"us-east-1"}';
    const first = newClient();
    const second = newClient();

    // Act
    await first.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await first.getAccessToken({ sellerId: SELLER, region: 'FE' });
    await second.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await second.getAccessToken({ sellerId: SELLER, region: 'EU' });

    // Assess
    const [na, fe, naAgain, eu] = clientsAsked();
    expect(fe).toBe(na);
    expect(naAgain).toBe(na);
    expect(eu).not.toBe(na);
    expect(await regionsAsked()).toEqual(['us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1']);
  });

  it('serves cache hits without another read, per SP-API region', async () => {
    // Prepare
    process.env.TOKEN_SECRET_REGIONS = THREE_REGIONS;
    const client = newClient();

    // Act
    for (let i = 0; i < 100; i++) {
      for (const region of ['NA', 'EU', 'FE'] as Region[])
        await client.getAccessToken({ sellerId: SELLER, region });
    }

    // Assess
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
  });

  it('reads the variable when the client is constructed, so the default client picks up the grant', async () => {
    // Prepare
    const before = newClient();
    process.env.TOKEN_SECRET_REGIONS = '{"EU":"eu-west-1"}';
    const after = newClient();

    // Act
    const refused = await after.getAccessToken({ sellerId: SELLER, region: 'NA' }).catch((e: Error) => e);
    await before.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(refused).toBeInstanceOf(TokenClientConfigError);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('does not cache a refusal: the next read for the region is refused again, still without an AWS call', async () => {
    // Prepare
    process.env.TOKEN_SECRET_REGIONS = '{"NA":"us-east-1"}';
    const client = newClient();

    // Act
    const outcomes = await Promise.all(
      [1, 2].map(() => client.getAccessToken({ sellerId: SELLER, region: 'FE' }).catch((e: Error) => e)),
    );

    // Assess
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(TokenClientConfigError);
      expect((outcome as TokenClientConfigError).setting).toBe('TOKEN_SECRET_REGIONS');
    }
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });
});

describe('the secretRegions option', () => {
  it('wins over TOKEN_SECRET_REGIONS', async () => {
    // Prepare
    process.env.TOKEN_SECRET_REGIONS = THREE_REGIONS;
    const client = newClient({ secretRegions: { NA: 'ca-central-1' } });

    // Act
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    const refused = await client.getAccessToken({ sellerId: SELLER, region: 'EU' }).catch((e: Error) => e);

    // Assess
    expect(await regionsAsked()).toEqual(['ca-central-1']);
    expect(refused).toBeInstanceOf(TokenClientConfigError);
    expect((refused as TokenClientConfigError).setting).toBe('secretRegions');
    expect((refused as Error).message).toBe(
      'Region EU is not in secretRegions (NA: ca-central-1): grant this function read access from the stack serving EU.',
    );
  });

  it('is checked like the variable, and its errors name the option', () => {
    const error = constructionError({ secretRegions: { NA: 'us-east-1', XX: 'eu-west-1' } as never });

    expect(error.setting).toBe('secretRegions');
    expect(error.message).toBe(
      'secretRegions must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but it maps "XX", not NA, EU or FE. Fix the option.',
    );
    expect(constructionError({ secretRegions: { NA: 'us-east-1x' } }).message).toBe(
      'secretRegions must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but it maps NA to "us-east-1x", not an AWS region. Fix the option.',
    );
    expect(constructionError({ secretRegions: {} }).message).toBe(
      'secretRegions must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but it maps no region. Fix the option.',
    );
  });
});

describe('an explicit secretsManager client', () => {
  it('keeps serving every region without a map, as before per-region stacks', async () => {
    // Prepare
    const own = new SecretsManagerClient({ region: 'ap-south-1' });
    const client = newClient({ secretsManager: own });

    // Act
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await client.getAccessToken({ sellerId: SELLER, region: 'FE' });

    // Assess
    expect(clientsAsked()).toEqual([own, own]);
  });

  it('cannot be combined with a map, from the variable or the option', () => {
    const own = new SecretsManagerClient({ region: 'us-east-1' });
    process.env.TOKEN_SECRET_REGIONS = THREE_REGIONS;

    const fromEnv = constructionError({ secretsManager: own });
    delete process.env.TOKEN_SECRET_REGIONS;
    const fromOption = constructionError({ secretsManager: own, secretRegions: { NA: 'us-east-1' } });

    expect(fromEnv.setting).toBe('secretsManager');
    expect(fromEnv.message).toBe(
      'secretsManager cannot be combined with TOKEN_SECRET_REGIONS, which needs a client per AWS region: drop it.',
    );
    expect(fromOption.message).toBe(
      'secretsManager cannot be combined with secretRegions, which needs a client per AWS region: drop it.',
    );
  });
});

describe('the sellers table with per-region stacks', () => {
  it('refuses one table for a map that spans several AWS regions (several stacks)', () => {
    process.env.TOKEN_SECRET_REGIONS = THREE_REGIONS;

    const error = constructionError({ sellerTable: fakeTable('ACTIVE').table });

    expect(error.setting).toBe('sellerTable');
    expect(error.message).toBe(
      "sellerTable is one stack's, but TOKEN_SECRET_REGIONS spans several AWS regions: use a TokenClient per stack.",
    );
  });

  it('keeps one table for a map with a single AWS region (one stack)', async () => {
    // Prepare
    process.env.TOKEN_SECRET_REGIONS = '{"NA":"eu-west-1","EU":"eu-west-1"}';
    const one = fakeTable('ACTIVE');
    const client = newClient({ sellerTable: one.table });

    // Act
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await client.getAccessToken({ sellerId: SELLER, region: 'EU' });

    // Assess
    expect(one.send).toHaveBeenCalledTimes(2);
    expect(await regionsAsked()).toEqual(['eu-west-1', 'eu-west-1']);
  });

  it('checks sellers of several stacks with one TokenClient per stack, each with its regions and table', async () => {
    // Prepare: the grants set all three regions; each client narrows to its stack's
    process.env.TOKEN_SECRET_REGIONS = THREE_REGIONS;
    dynamoDb.on(GetItemCommand, { TableName: 'SellersNA' }).resolves({ Item: { status: { S: 'ACTIVE' } } });
    dynamoDb
      .on(GetItemCommand, { TableName: 'SellersEU' })
      .resolves({ Item: { status: { S: 'REAUTH_REQUIRED' } } });
    const na = newClient({
      secretRegions: { NA: 'us-east-1' },
      sellerTable: { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'SellersNA' },
    });
    const eu = newClient({
      secretRegions: { EU: 'eu-west-1' },
      sellerTable: { client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'SellersEU' },
    });

    // Act
    const token = await na.getAccessToken({ sellerId: SELLER, region: 'NA' });
    const revoked = await eu.getAccessToken({ sellerId: SELLER, region: 'EU' }).catch((e: Error) => e);

    // Assess
    expect(token.accessToken).toBe('Atza|unit-NA');
    expect(revoked).toBeInstanceOf(SellerNotAuthorizedError);
    const asked = await Promise.all(
      dynamoDb.commandCalls(GetItemCommand).map(async (call) => ({
        table: call.args[0].input.TableName,
        region: call.args[0].input.Key?.region?.S,
        awsRegion: await (call.thisValue as DynamoDBClient).config.region(),
      })),
    );
    expect(asked).toEqual([
      { table: 'SellersNA', region: 'NA', awsRegion: 'us-east-1' },
      { table: 'SellersEU', region: 'EU', awsRegion: 'eu-west-1' },
    ]);
    expect(await regionsAsked()).toEqual(['us-east-1', 'eu-west-1']);
  });
});
