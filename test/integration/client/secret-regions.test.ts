import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  SellerNotAuthorizedError,
  TokenClient,
  TokenClientConfigError,
  TokenReadError,
} from '../../../lambda/client';
import type { Region } from '../../../lambda/shared/region-codes';
import { sellerSecretName } from '../../../lambda/shared/secret-names';
import { uniqueName } from '../../support/aws-test-env';
import { sellerIds } from '../../support/refresh-harness';

// moto keeps each AWS region's secrets and tables apart by the SigV4 region of the request, as AWS
// does, so a read routed to the wrong region finds nothing.
const NOW = Date.parse('2026-11-24T20:00:00.000Z');
const STACKS = { NA: 'us-east-1', EU: 'eu-west-1' } as const;

interface StoredSeller {
  readonly sellerId: string;
  readonly region: Region;
  readonly accessToken: string;
  readonly refreshToken: string;
}

describe('per-region stacks: the token client reads each region from its AWS region (moto)', () => {
  const prefix = uniqueName('lwa-regions');
  const [naSeller, euSeller, euRevoked] = sellerIds(3, 'RG') as [string, string, string];
  const stored: StoredSeller[] = [
    { sellerId: naSeller, region: 'NA', accessToken: `Atza|rg-na-${naSeller}`, refreshToken: 'Atzr|rg-na' },
    { sellerId: euSeller, region: 'EU', accessToken: `Atza|rg-eu-${euSeller}`, refreshToken: 'Atzr|rg-eu' },
    { sellerId: euRevoked, region: 'EU', accessToken: `Atza|rg-ev-${euRevoked}`, refreshToken: 'Atzr|rg-ev' },
  ];
  const tables = { NA: uniqueName('SellersNA'), EU: uniqueName('SellersEU') };
  const savedEnv = process.env.TOKEN_SECRET_REGIONS;

  beforeAll(async () => {
    // Each stack's secrets and sellers table, in its own AWS region
    for (const seller of stored) {
      const awsRegion = STACKS[seller.region as 'NA' | 'EU'];
      await new SecretsManagerClient({ region: awsRegion }).send(
        new CreateSecretCommand({
          Name: sellerSecretName(prefix, seller.region, seller.sellerId),
          SecretString: JSON.stringify({
            sellerId: seller.sellerId,
            region: seller.region,
            accessToken: seller.accessToken,
            accessTokenExpiresAt: new Date(NOW + 3_600_000).toISOString(),
            refreshToken: seller.refreshToken,
            tokenType: 'bearer',
            updatedAt: new Date(NOW).toISOString(),
          }),
        }),
      );
    }
    for (const region of ['NA', 'EU'] as const) {
      const dynamoDb = new DynamoDBClient({ region: STACKS[region] });
      await dynamoDb.send(
        new CreateTableCommand({
          TableName: tables[region],
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'sellerId', AttributeType: 'S' },
            { AttributeName: 'region', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'sellerId', KeyType: 'HASH' },
            { AttributeName: 'region', KeyType: 'RANGE' },
          ],
        }),
      );
      for (const seller of stored.filter((s) => s.region === region)) {
        const status = seller.sellerId === euRevoked ? 'REAUTH_REQUIRED' : 'ACTIVE';
        await dynamoDb.send(
          new PutItemCommand({
            TableName: tables[region],
            Item: { sellerId: { S: seller.sellerId }, region: { S: region }, status: { S: status } },
          }),
        );
      }
    }
  });

  afterEach(() => {
    if (savedEnv === undefined) delete process.env.TOKEN_SECRET_REGIONS;
    else process.env.TOKEN_SECRET_REGIONS = savedEnv;
  });

  it('reads NA from us-east-1 and EU from eu-west-1, and refuses FE naming what to do', async () => {
    // Prepare: the variable as the grants of the us-east-1 and eu-west-1 stacks set it
    process.env.TOKEN_SECRET_REGIONS = JSON.stringify(STACKS);
    const client = new TokenClient({ secretPrefix: prefix, clock: () => NOW });

    // Act
    const na = await client.getAccessToken({ sellerId: naSeller, region: 'NA' });
    const eu = await client.getAccessToken({ sellerId: euSeller, region: 'EU' });
    const fe = await client.getAccessToken({ sellerId: naSeller, region: 'FE' }).catch((e: Error) => e);

    // Assess
    expect(na.accessToken).toBe(stored[0]?.accessToken);
    expect(eu.accessToken).toBe(stored[1]?.accessToken);
    expect(fe).toBeInstanceOf(TokenClientConfigError);
    expect((fe as Error).message).toBe(
      'Region FE is not in TOKEN_SECRET_REGIONS (NA: us-east-1, EU: eu-west-1): grant this function read access from the stack serving FE.',
    );
  });

  it('without the map, the EU secret is out of reach from the default region (the routing is what finds it)', async () => {
    // Prepare: the SDK's default region is us-east-1 (test/support/aws-test-env)
    delete process.env.TOKEN_SECRET_REGIONS;
    const client = new TokenClient({ secretPrefix: prefix, clock: () => NOW });

    // Act
    const eu = await client.getAccessToken({ sellerId: euSeller, region: 'EU' }).catch((e: Error) => e);

    // Assess
    expect(eu).toBeInstanceOf(SellerNotAuthorizedError);
    expect((eu as SellerNotAuthorizedError).reason).toBe('NOT_AUTHORIZED');
  });

  it("checks each seller's status in its stack's sellers table, with one TokenClient per stack", async () => {
    // Prepare: the variable names both stacks; each client narrows to its own
    process.env.TOKEN_SECRET_REGIONS = JSON.stringify(STACKS);
    const perStack = (region: 'NA' | 'EU') =>
      new TokenClient({
        secretPrefix: prefix,
        clock: () => NOW,
        secretRegions: { [region]: STACKS[region] },
        sellerTable: { client: new DynamoDBClient({ region: STACKS[region] }), tableName: tables[region] },
      });
    const na = perStack('NA');
    const eu = perStack('EU');

    // Act
    const naToken = await na.getAccessToken({ sellerId: naSeller, region: 'NA' });
    const euToken = await eu.getAccessToken({ sellerId: euSeller, region: 'EU' });
    const revoked = await eu.getAccessToken({ sellerId: euRevoked, region: 'EU' }).catch((e: Error) => e);

    // Assess
    expect([naToken.accessToken, euToken.accessToken]).toEqual([
      stored[0]?.accessToken,
      stored[1]?.accessToken,
    ]);
    expect(revoked).toBeInstanceOf(SellerNotAuthorizedError);
    expect((revoked as SellerNotAuthorizedError).reason).toBe('REAUTH_REQUIRED');
  });

  it("a table named with a client in the wrong stack's region is not found there, and the error says so", async () => {
    // Prepare: the EU table named with a DynamoDB client in us-east-1
    delete process.env.TOKEN_SECRET_REGIONS;
    const client = new TokenClient({
      secretPrefix: prefix,
      clock: () => NOW,
      secretRegions: { EU: STACKS.EU },
      sellerTable: { client: new DynamoDBClient({ region: STACKS.NA }), tableName: tables.EU },
    });

    // Act
    const outcome = await client.getAccessToken({ sellerId: euSeller, region: 'EU' }).catch((e: Error) => e);

    // Assess: no token in the message
    expect(outcome).toBeInstanceOf(TokenReadError);
    expect((outcome as TokenReadError).causeName).toBe('ResourceNotFoundException');
    for (const seller of stored) {
      expect((outcome as Error).message).not.toContain(seller.accessToken);
      expect((outcome as Error).message).not.toContain(seller.refreshToken);
    }
  });
});
