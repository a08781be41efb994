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
import { type AccessToken, TokenClient } from '../../../lambda/client';
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
