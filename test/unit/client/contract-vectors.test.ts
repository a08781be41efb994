import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { type AccessToken, TokenClient, TokenClientConfigError } from '../../../lambda/client';
import type { Region } from '../../../lambda/shared/regions';
import { deviceSecretName, grantlessSecretName, sellerSecretName } from '../../../lambda/shared/secret-names';

// The same vectors drive the Python client's tests (clients/python/tests), so neither client can
// drift from the contract on its own.
const CONTRACT_DIR = path.join(__dirname, '..', '..', 'contract');
const load = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(CONTRACT_DIR, file), 'utf8')) as T;

interface NameCase {
  kind: 'seller' | 'grantless' | 'device';
  prefix: string;
  region: Region;
  id: string;
  name: string;
}

interface ReadCase {
  description: string;
  request: { kind: 'seller' | 'grantless' | 'device'; region: Region } & Record<string, string>;
  now: string;
  tableStatus?: string;
  secret?: { json?: unknown; string?: string; notFound?: true; error?: string };
  expect: { accessToken?: string; expiresAt?: string; error?: string; message?: string };
}

describe('contract vectors: secret names', () => {
  const { cases } = load<{ cases: NameCase[] }>('secret-names.json');
  const nameOf = { seller: sellerSecretName, grantless: grantlessSecretName, device: deviceSecretName };

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(nameOf[c.kind](c.prefix, c.region, c.id)).toBe(c.name);
  });
});

describe('contract vectors: token reads', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const dynamo = mockClient(DynamoDBClient);
  const { cases } = load<{ cases: ReadCase[] }>('token-reads.json');

  beforeEach(() => {
    secretsManager.reset();
    dynamo.reset();
  });

  it.each(cases.map((c) => [c.description, c] as const))('%s', async (_description, c) => {
    // Prepare
    const secret = c.secret;
    if (secret?.notFound) {
      secretsManager
        .on(GetSecretValueCommand)
        .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    } else if (secret?.error) {
      secretsManager.on(GetSecretValueCommand).rejects(
        new SecretsManagerServiceException({
          name: secret.error,
          $fault: 'client',
          message: 'no',
          $metadata: {},
        }),
      );
    } else if (secret) {
      const secretString =
        secret.json !== undefined ? JSON.stringify(secret.json) : secret.string || undefined;
      secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString });
    }
    dynamo
      .on(GetItemCommand)
      .resolves({ Item: c.tableStatus ? { status: { S: c.tableStatus } } : undefined });
    const client = new TokenClient({
      secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
      secretPrefix: 'lwa-tokens',
      clock: () => Date.parse(c.now),
      ...(c.tableStatus
        ? { sellerTable: { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'sellers' } }
        : {}),
    });
    const { kind, region } = c.request;

    // Act
    const read = (): Promise<AccessToken> =>
      kind === 'seller'
        ? client.getAccessToken({ sellerId: c.request.sellerId as string, region })
        : kind === 'grantless'
          ? client.getGrantlessToken({ scope: c.request.scope as string, region })
          : client.getDeviceToken({ accountId: c.request.accountId as string, region });
    const outcome = await read().then(
      (token) => ({ token }),
      (error: Error) => ({ error }),
    );

    // Assess
    if (c.expect.error) {
      expect('error' in outcome && { name: outcome.error.name, message: outcome.error.message }).toEqual({
        name: c.expect.error,
        message: c.expect.message,
      });
    } else {
      expect('token' in outcome && outcome.token).toEqual({
        accessToken: c.expect.accessToken,
        expiresAt: new Date(c.expect.expiresAt as string),
      });
    }
  });
});

interface SecretRegionsCase {
  description: string;
  env?: string;
  option?: Record<string, string>;
  reads?: Partial<Record<Region, string>>;
  refused?: Partial<Record<Region, string>>;
  error?: { name: string; setting: string; message: string };
}

describe('contract vectors: TOKEN_SECRET_REGIONS', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const { cases } = load<{ cases: SecretRegionsCase[] }>('secret-regions.json');
  const now = Date.parse('2026-11-24T20:00:00.000Z');
  const sellerId = 'A2EUQ1WTGCTBG2';
  const savedEnv = {
    TOKEN_SECRET_REGIONS: process.env.TOKEN_SECRET_REGIONS,
    AWS_REGION: process.env.AWS_REGION,
  };

  beforeAll(() => {
    // The region the SDK's default client resolves, for the 'default' rows.
    process.env.AWS_REGION = 'sa-east-1';
  });

  beforeEach(() => {
    secretsManager.reset();
    // Any region's secret is the seller's fresh token for that region; the test checks where it was asked.
    secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const region = input.SecretId.split('/')[2];
      return {
        SecretString: JSON.stringify({
          sellerId,
          region,
          accessToken: `Atza|vector-${region}`,
          accessTokenExpiresAt: '2026-11-24T21:00:00.000Z',
          refreshToken: 'Atzr|vector-refresh',
          tokenType: 'bearer',
          updatedAt: '2026-11-24T20:00:00.000Z',
        }),
      };
    });
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it.each(cases.map((c) => [c.description, c] as const))('%s', async (_description, c) => {
    // Prepare
    if (c.env === undefined) delete process.env.TOKEN_SECRET_REGIONS;
    else process.env.TOKEN_SECRET_REGIONS = c.env;
    const construct = () =>
      new TokenClient({
        secretPrefix: 'lwa-tokens',
        clock: () => now,
        ...(c.option ? { secretRegions: c.option } : {}),
      });

    if (c.error) {
      // Act
      const outcome = (() => {
        try {
          return construct();
        } catch (error) {
          return error as TokenClientConfigError;
        }
      })();

      // Assess
      expect(outcome).toBeInstanceOf(TokenClientConfigError);
      const error = outcome as TokenClientConfigError;
      expect({ name: error.name, setting: error.setting, message: error.message }).toEqual(c.error);
      return;
    }
    const client = construct();
    const defaultRegion = await new SecretsManagerClient({}).config.region();

    for (const [region, awsRegion] of Object.entries(c.reads ?? {}) as [Region, string][]) {
      // Act
      const token = await client.getAccessToken({ sellerId, region });

      // Assess: one read, by a client for the mapped AWS region
      expect(token.accessToken).toBe(`Atza|vector-${region}`);
      const calls = secretsManager.commandCalls(GetSecretValueCommand);
      const last = calls[calls.length - 1];
      expect(last?.args[0].input).toEqual({ SecretId: `lwa-tokens/sellers/${region}/${sellerId}` });
      const used = last?.thisValue as SecretsManagerClient;
      expect(await used.config.region()).toBe(awsRegion === 'default' ? defaultRegion : awsRegion);
    }
    for (const [region, message] of Object.entries(c.refused ?? {}) as [Region, string][]) {
      const before = secretsManager.commandCalls(GetSecretValueCommand).length;

      // Act
      const outcome = await client.getAccessToken({ sellerId, region }).catch((error: Error) => error);

      // Assess: refused before any AWS call
      expect(outcome).toBeInstanceOf(TokenClientConfigError);
      expect((outcome as Error).message).toBe(message);
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(before);
    }
  });
});
