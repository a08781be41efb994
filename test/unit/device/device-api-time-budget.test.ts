import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type DeviceApiDeps,
  pollDeviceAuthorization,
  startDeviceAuthorization,
} from '../../../lambda/device/device-api';
import { PendingAuthorizations } from '../../../lambda/device/pending-authorizations';
import { AppCredentialsProvider } from '../../../lambda/shared/app-credentials';
import { LwaClient } from '../../../lambda/shared/lwa-client';
import { SellerRepository } from '../../../lambda/shared/seller-repository';
import { TimeBudgetExhaustedError } from '../../../lambda/shared/time-budget';
import { TokenStore } from '../../../lambda/shared/token-store';

const NOW_MS = Date.UTC(2026, 10, 24, 20, 19, 26);
const NOW_S = NOW_MS / 1000;
const ID = 'AbCdEfGhIjKlMnOpQrStUv';
const ENDPOINT = 'https://api.amazon.com';

const smMock = mockClient(SecretsManagerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

let fetchCalls: number;
const fakeFetch = (async () => {
  fetchCalls++;
  return new Response(JSON.stringify({ error: 'authorization_pending' }), {
    status: 400,
    headers: { 'content-type': 'application/json' },
  });
}) as typeof fetch;

function deps(): { deps: DeviceApiDeps; lwaTimeouts: () => Array<number | undefined> } {
  const clock = () => NOW_MS;
  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const retry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 };
  const lwa = new LwaClient({ fetch: fakeFetch, timeoutMs: 10_000 });
  const codePair = jest.spyOn(lwa, 'createCodePair').mockResolvedValue({
    userCode: 'ABCD1234',
    deviceCode: 'device-code-unit',
    verificationUri: 'https://amazon.com/us/code',
    expiresIn: 600,
    interval: 5,
  });
  const deviceToken = jest.spyOn(lwa, 'deviceToken');
  const built: DeviceApiDeps = {
    pending: new PendingAuthorizations(documentClient, 'states', clock),
    appCredentials: new AppCredentialsProvider(secretsManager, 'app-secret', clock),
    lwa,
    clock,
    lwaEndpoints: { NA: ENDPOINT, EU: ENDPOINT, FE: ENDPOINT },
    tokens: new TokenStore(secretsManager, retry),
    sellers: new SellerRepository(documentClient, 'sellers'),
    random: () => 0.5,
    retry,
    config: { tokenSecretPrefix: 'lwa-tokens', kmsKeyId: 'key', leadSeconds: 600, spreadSeconds: 300 },
  };
  const lwaTimeouts = () =>
    [...codePair.mock.calls, ...deviceToken.mock.calls].map((call) => call[2]?.timeoutMs);
  return { deps: built, lwaTimeouts };
}

beforeEach(() => {
  smMock.reset();
  ddbMock.reset();
  fetchCalls = 0;
  smMock.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      clientId: 'amzn1.application-oa2-client.unit',
      clientSecret: 's',
      applicationId: 'a',
    }),
  });
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(UpdateCommand).resolves({});
  ddbMock.on(GetCommand).resolves({
    Item: {
      id: ID,
      region: 'NA',
      scope: 'profile',
      status: 'pending',
      userCode: 'ABCD1234',
      deviceCode: 'device-code-unit',
      interval: 5,
      expiresAt: NOW_S + 600,
      lastPolledAt: NOW_S - 10,
    },
  });
});

describe('device API calls to LWA fit the invocation', () => {
  it('asks for a code pair with only the time left beyond the write reserve', async () => {
    // Prepare
    const { deps: d, lwaTimeouts } = deps();

    // Act
    await startDeviceAuthorization(d, { region: 'NA', scope: 'profile' }, () => 12_500);

    // Assess
    expect(lwaTimeouts()).toEqual([4_500]);
    expect(ddbMock).toReceiveCommandTimes(PutCommand, 1);
  });

  it('polls LWA with only the time left beyond what storing an approval needs', async () => {
    // Prepare
    const { deps: d, lwaTimeouts } = deps();

    // Act
    const outcome = await pollDeviceAuthorization(d, ID, () => 27_000);

    // Assess
    expect(outcome).toEqual({ kind: 'status', status: 'pending', interval: 5 });
    expect(lwaTimeouts()).toEqual([10_000]);
    expect(fetchCalls).toBe(1);
  });

  it.each([
    [
      'starting',
      (d: DeviceApiDeps) => startDeviceAuthorization(d, { region: 'NA', scope: 'profile' }, () => 9_000),
    ],
    ['polling', (d: DeviceApiDeps) => pollDeviceAuthorization(d, ID, () => 9_000)],
  ])('sends nothing to LWA when %s with too little time left to store the answer', async (_case, act) => {
    // Prepare
    const { deps: d, lwaTimeouts } = deps();

    // Act
    const result = act(d);

    // Assess
    await expect(result).rejects.toBeInstanceOf(TimeBudgetExhaustedError);
    expect(lwaTimeouts()).toEqual([]);
    expect(fetchCalls).toBe(0);
    expect(ddbMock).not.toReceiveCommand(PutCommand);
  });
});
