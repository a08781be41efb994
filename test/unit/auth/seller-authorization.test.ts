import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { appListingFromEnv } from '../../../lambda/auth/app-listing';
import {
  type CompleteAuthorizationDeps,
  completeAuthorization,
  InvalidStateError,
  type StartAuthorizationDeps,
  startAuthorization,
  startLogin,
  TokenExchangeError,
} from '../../../lambda/auth/seller-authorization';
import { StateStore } from '../../../lambda/auth/state-store';
import { AppCredentialsError, AppCredentialsProvider } from '../../../lambda/shared/app-credentials';
import { LwaClient } from '../../../lambda/shared/lwa-client';
import { SellerRepository } from '../../../lambda/shared/seller-repository';
import { TokenStore } from '../../../lambda/shared/token-store';

const APP_SECRET_ID = 'lwa-app-credentials';
const STATE_TABLE = 'states';
const SELLER_TABLE = 'sellers';
const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const SELLER = 'A2EUQ1WTGCTBG2';
const STATE = 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c';
const CODE = 'ANdNAVhyhqirUelHGEHA';
const REDIRECT_URI = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/callback';
const ACCESS_TOKEN = 'Atza|unit-access-token';
const REFRESH_TOKEN = 'Atzr|unit-refresh-token';
const CREDENTIALS = {
  clientId: 'amzn1.application-oa2-client.unit',
  clientSecret: 'unit-client-secret-current',
  applicationId: 'amzn1.sp.solution.unit',
  draft: false,
};
const NOW_MS = Date.UTC(2026, 10, 24, 20, 19, 26, 250);
const NOW_S = Math.floor(NOW_MS / 1000);
const ENDPOINTS = {
  NA: 'https://api.amazon.com',
  EU: 'https://api.amazon.co.uk',
  FE: 'https://api.amazon.co.jp',
} as const;

const smMock = mockClient(SecretsManagerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

interface LwaAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}
interface LwaCall {
  readonly url: string;
  readonly form: URLSearchParams;
}

let lwaAnswers: Array<LwaAnswer | 'network-error'>;
/** The injected clock; an LWA call moves it on by `lwaLatencyMs`. */
let nowMs: number;
let lwaLatencyMs: number;
let lwaCalls: LwaCall[];
/** Every SDK write and LWA call in the order it happened, to prove the write order. */
let calls: string[];

const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  lwaCalls.push({ url: String(input), form: new URLSearchParams(String(init?.body)) });
  calls.push('LWA');
  nowMs += lwaLatencyMs;
  const answer = lwaAnswers.shift();
  if (answer === undefined) throw new Error('the test did not expect another LWA call');
  if (answer === 'network-error') throw new TypeError('fetch failed');
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { 'content-type': 'application/json' },
  });
}) as typeof fetch;

const tokens = (overrides: Record<string, unknown> = {}): LwaAnswer => ({
  status: 200,
  body: {
    access_token: ACCESS_TOKEN,
    refresh_token: REFRESH_TOKEN,
    token_type: 'bearer',
    expires_in: 3600,
    ...overrides,
  },
});
const oauthError = (status: number, error: string): LwaAnswer => ({
  status,
  body: { error, error_description: 'refused by the test' },
});

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function givenAppCredentials(credentials: Record<string, unknown> = CREDENTIALS): void {
  smMock.on(GetSecretValueCommand, { SecretId: APP_SECRET_ID }).resolves({
    SecretString: JSON.stringify(credentials),
  });
}

/** The state item as the table's consistent read returns it; deleting it succeeds. */
function givenState(item: Record<string, unknown> = { region: 'EU', expiresAt: NOW_S + 300 }): void {
  ddbMock.on(GetCommand, { TableName: STATE_TABLE }).resolves({ Item: { pk: 'state#hash', ...item } });
  ddbMock.on(DeleteCommand).callsFake(() => {
    calls.push('DeleteItem(state)');
    return {};
  });
}

/** A first authorization: PutSecretValue finds no secret, so the store creates it. */
function givenNoSecretYet(): void {
  smMock
    .on(GetSecretValueCommand, { SecretId: `lwa-tokens/sellers/EU/${SELLER}` })
    .rejects(
      new ResourceNotFoundException({ message: 'Secrets Manager can’t find the secret.', $metadata: {} }),
    );
  smMock.on(PutSecretValueCommand).callsFake(() => {
    calls.push('PutSecretValue');
    throw new ResourceNotFoundException({ message: 'Secrets Manager can’t find the secret.', $metadata: {} });
  });
  smMock.on(CreateSecretCommand).callsFake(() => {
    calls.push('CreateSecret');
    return { Name: 'created' };
  });
}

function givenExistingSecret(): void {
  smMock.on(PutSecretValueCommand).callsFake(() => {
    calls.push('PutSecretValue');
    return { VersionId: 'v2' };
  });
}

function givenSellerTableWritable(): void {
  ddbMock.on(UpdateCommand).callsFake((update) => {
    calls.push(
      update.ExpressionAttributeValues?.[':pending'] ? 'UpdateItem(seller, PENDING)' : 'UpdateItem(seller)',
    );
    return {};
  });
}

let published: Array<{ type: string; detail: Record<string, unknown> }> = [];
const recordingEvents = {
  publish: async (type: string, detail: Record<string, unknown>) => {
    published.push({ type, detail });
    return true;
  },
};

function deps(
  overrides: { random?: () => number; leadSeconds?: number; spreadSeconds?: number } = {},
): CompleteAuthorizationDeps {
  const clock = () => nowMs;
  const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 };
  return {
    states: new StateStore(documentClient, STATE_TABLE, clock),
    appCredentials: new AppCredentialsProvider(secretsManager, APP_SECRET_ID, clock),
    lwa: new LwaClient({ fetch: fakeFetch, timeoutMs: 1_000 }),
    tokens: new TokenStore(secretsManager, retry),
    sellers: new SellerRepository(documentClient, SELLER_TABLE),
    events: recordingEvents,
    clock,
    random: overrides.random ?? (() => 0.5),
    retry,
    config: {
      tokenSecretPrefix: 'lwa-tokens',
      lwaEndpoints: ENDPOINTS,
      kmsKeyId: KMS_KEY_ARN,
      leadSeconds: overrides.leadSeconds ?? 600,
      spreadSeconds: overrides.spreadSeconds ?? 300,
    },
  };
}

/** What /authorize and /login get: the state table and the application id from their environment. */
function startDeps(env: Record<string, string> = {}): StartAuthorizationDeps {
  return {
    states: new StateStore(documentClient, STATE_TABLE, () => nowMs),
    appListing: appListingFromEnv({ APPLICATION_ID: CREDENTIALS.applicationId, ...env }),
  };
}

const input = { state: STATE, sellerId: SELLER, code: CODE, redirectUri: REDIRECT_URI };

function writtenSecret(): Record<string, unknown> {
  const create = smMock.commandCalls(CreateSecretCommand)[0]?.args[0].input.SecretString;
  const put = smMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretString;
  return JSON.parse(create ?? put ?? 'null') as Record<string, unknown>;
}

/** The last write to the sellers table: the one that returns the seller to service. */
function sellerUpdate() {
  const updates = ddbMock.commandCalls(UpdateCommand);
  const update = updates[updates.length - 1]?.args[0].input;
  if (!update || updates.length < 2) throw new Error('no final UpdateItem was sent to the sellers table');
  return update;
}

/** The first write to the sellers table: PENDING, before the secret. */
function pendingUpdate() {
  const update = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
  if (!update) throw new Error('no UpdateItem was sent to the sellers table');
  return update;
}

function expectNothingWritten(): void {
  expect(smMock).not.toReceiveCommand(PutSecretValueCommand);
  expect(smMock).not.toReceiveCommand(CreateSecretCommand);
  expect(ddbMock).not.toReceiveCommand(UpdateCommand);
}

beforeEach(() => {
  smMock.reset();
  ddbMock.reset();
  lwaAnswers = [];
  lwaCalls = [];
  nowMs = NOW_MS;
  lwaLatencyMs = 0;
  calls = [];
  published = [];
});

describe('startAuthorization', () => {
  it('answers the region’s consent URL with the application id and a fresh state', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    const location = await startAuthorization(startDeps(), {
      region: 'EU',
      sellerCentralUrl: 'https://sellercentral-europe.amazon.com',
    });

    // Assess
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe(
      'https://sellercentral-europe.amazon.com/apps/authorize/consent',
    );
    expect([...url.searchParams.keys()]).toEqual(['application_id', 'state']);
    expect(url.searchParams.get('application_id')).toBe(CREDENTIALS.applicationId);
    // The application id is public: /authorize reads no secret at all.
    expect(smMock.calls()).toEqual([]);
    const state = url.searchParams.get('state') ?? '';
    expect(ddbMock).toReceiveCommandWith(PutCommand, {
      TableName: STATE_TABLE,
      Item: expect.objectContaining({
        pk: `state#${createHash('sha256').update(state).digest('base64url')}`,
        region: 'EU',
      }),
    });
  });

  it('adds version=beta for a draft application', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    const location = await startAuthorization(startDeps({ APPLICATION_DRAFT: 'true' }), {
      region: 'NA',
      sellerCentralUrl: 'https://sellercentral.amazon.com',
    });

    // Assess
    const url = new URL(location);
    expect(url.host).toBe('sellercentral.amazon.com');
    expect(url.searchParams.get('version')).toBe('beta');
  });

  it('creates no state when the deployment has no application id', async () => {
    // Prepare: deployed without applicationId
    const unconfigured = startDeps({ APPLICATION_ID: '' });

    // Act
    const starting = startAuthorization(unconfigured, {
      region: 'NA',
      sellerCentralUrl: 'https://sellercentral.amazon.com',
    });

    // Assess
    await expect(starting).rejects.toBeInstanceOf(AppCredentialsError);
    expect(ddbMock).not.toReceiveCommand(PutCommand);
  });
});

describe('startLogin', () => {
  const loginInput = {
    amazonCallbackUri: new URL(
      'https://sellercentral.amazon.co.uk/apps/authorize/confirm/amzn1.sp.solution.unit',
    ),
    region: 'EU' as const,
    amazonState: 'amazon-state-123',
    sellerId: SELLER,
    redirectUri: REDIRECT_URI,
  };

  it('redirects back to Seller Central with redirect_uri, amazon_state and a state bound to region and seller', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    const location = await startLogin(startDeps(), loginInput);

    // Assess
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe(loginInput.amazonCallbackUri.toString());
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('amazon_state')).toBe('amazon-state-123');
    expect(smMock.calls()).toEqual([]);
    expect(url.searchParams.get('version')).toBeNull();
    const state = url.searchParams.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ddbMock).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: `state#${createHash('sha256').update(state).digest('base64url')}`,
        region: 'EU',
        sellerId: SELLER,
      }),
    });
  });

  it('adds version=beta for a draft application', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    const location = await startLogin(startDeps({ APPLICATION_DRAFT: 'true' }), loginInput);

    // Assess
    expect(new URL(location).searchParams.get('version')).toBe('beta');
  });
});

describe('completeAuthorization', () => {
  it('consumes the state, exchanges the code once, then writes the secret before the table item', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenNoSecretYet();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    const outcome = await completeAuthorization(deps(), input);

    // Assess
    expect(outcome).toEqual({
      sellerId: SELLER,
      region: 'EU',
      status: 'ACTIVE',
      secretName: `lwa-tokens/sellers/EU/${SELLER}`,
      keptStoredRefreshToken: false,
      authorizationExpiresAt: NOW_S + 365 * 86_400,
    });
    expect(calls).toEqual([
      'DeleteItem(state)',
      'LWA',
      'UpdateItem(seller, PENDING)',
      'PutSecretValue',
      'CreateSecret',
      'UpdateItem(seller)',
    ]);
    const createSecret = smMock.commandCalls(CreateSecretCommand)[0];
    const updateItem = ddbMock.commandCalls(UpdateCommand)[1];
    expect(createSecret?.calledBefore(updateItem as NonNullable<typeof updateItem>)).toBe(true);
  });

  it('records a 365-day authorization and announces a first authorization as "Seller authorized"', async () => {
    // Prepare: the fence write finds no earlier item, so ALL_OLD returns nothing
    givenAppCredentials();
    givenState();
    givenNoSecretYet();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    expect(ddbMock).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: expect.stringContaining('authorizationExpiresAt = :authorizationExpiresAt'),
      ExpressionAttributeValues: expect.objectContaining({
        ':authorizationExpiresAt': NOW_S + 365 * 86_400,
      }),
    });
    // The first write (the fence) reads the item as it was, which tells first from later.
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ReturnValues).toBe('ALL_OLD');
    const update = ddbMock.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(update?.UpdateExpression).toMatch(/REMOVE .*refreshFailingSince/);
    expect(update?.UpdateExpression).toMatch(/REMOVE .*expiryNoticeDays/);
    expect(published).toEqual([
      {
        type: 'Seller authorized',
        detail: {
          sellerId: SELLER,
          region: 'EU',
          kind: 'seller',
          status: 'ACTIVE',
          authorizedAt: new Date(NOW_S * 1000).toISOString(),
          authorizationExpiresAt: new Date((NOW_S + 365 * 86_400) * 1000).toISOString(),
        },
      },
    ]);
  });

  it('announces "Seller reauthorized" when the item already had an authorization', async () => {
    // Prepare: the seller authorized 364 days ago (the yearly renewal)
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    const earlier = NOW_S - 364 * 86_400;
    ddbMock.on(UpdateCommand).resolves({ Attributes: { authorizedAt: earlier } });
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'Seller reauthorized',
      detail: {
        sellerId: SELLER,
        region: 'EU',
        previousAuthorizedAt: new Date(earlier * 1000).toISOString(),
        authorizationExpiresAt: new Date((NOW_S + 365 * 86_400) * 1000).toISOString(),
      },
    });
  });

  it('answers the seller even when the event cannot be published', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenNoSecretYet();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];
    const dropping = { ...deps(), events: { publish: async () => false } };

    // Act
    const outcome = await completeAuthorization(dropping, input);

    // Assess
    expect(outcome.status).toBe('ACTIVE');
  });

  it('exchanges the code at the region’s LWA endpoint with the app’s credentials', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenNoSecretYet();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    expect(lwaCalls).toHaveLength(1);
    expect(lwaCalls[0]?.url).toBe('https://api.amazon.co.uk/auth/o2/token');
    expect(Object.fromEntries(lwaCalls[0]?.form ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: REDIRECT_URI,
      client_id: CREDENTIALS.clientId,
      client_secret: CREDENTIALS.clientSecret,
    });
  });

  it('creates the secret with the contract JSON, the stack’s KMS key and sellerId/region tags', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenNoSecretYet();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    expect(smMock).toReceiveCommandWith(CreateSecretCommand, {
      Name: `lwa-tokens/sellers/EU/${SELLER}`,
      KmsKeyId: KMS_KEY_ARN,
      Tags: [
        { Key: 'sellerId', Value: SELLER },
        { Key: 'region', Value: 'EU' },
      ],
      ClientRequestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const secret = writtenSecret();
    expect(Object.keys(secret)).toEqual([
      'sellerId',
      'region',
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'tokenType',
      'updatedAt',
    ]);
    expect(secret).toEqual({
      sellerId: SELLER,
      region: 'EU',
      accessToken: ACCESS_TOKEN,
      accessTokenExpiresAt: new Date((NOW_S + 3600) * 1000).toISOString(),
      refreshToken: REFRESH_TOKEN,
      tokenType: 'bearer',
      updatedAt: new Date(NOW_MS).toISOString(),
    });
  });

  it('retries the secret write with the same ClientRequestToken', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenSellerTableWritable();
    smMock
      .on(PutSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ VersionId: 'v2' });
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    const puts = smMock.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(puts).toHaveLength(2);
    expect(puts[0]).toBe(puts[1]);
    expect(lwaCalls).toHaveLength(1);
  });

  it('writes a new version on top of an existing secret, leaving its tags and key alone', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    expect(calls).toEqual([
      'DeleteItem(state)',
      'LWA',
      'UpdateItem(seller, PENDING)',
      'PutSecretValue',
      'UpdateItem(seller)',
    ]);
    expect(smMock).toReceiveCommandWith(PutSecretValueCommand, {
      SecretId: `lwa-tokens/sellers/EU/${SELLER}`,
      ClientRequestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(smMock).not.toReceiveCommand(CreateSecretCommand);
  });

  it('records the seller as ACTIVE, back to zero failures, with no lastError', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess
    const update = sellerUpdate();
    expect(update.TableName).toBe(SELLER_TABLE);
    expect(update.Key).toEqual({ sellerId: SELLER, region: 'EU' });
    expect(update.UpdateExpression).toMatch(/ REMOVE lastError, refreshFailingSince, expiryNoticeDays$/);
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':status': 'ACTIVE',
      ':secretName': `lwa-tokens/sellers/EU/${SELLER}`,
      ':expiresAt': NOW_S + 3600,
      ':now': NOW_S,
      ':zero': 0,
    });
    const next = update.ExpressionAttributeValues?.[':next'] as number;
    expect(next).toBeGreaterThanOrEqual(NOW_S + 3600 - 600 - 300);
    expect(next).toBeLessThanOrEqual(NOW_S + 3600 - 600);
  });

  it('schedules the refresh on the expires_in LWA returned, not on 3600', async () => {
    // Prepare: lead 120 s and a spread of 150 s (0.5 × 301, floored).
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [tokens({ expires_in: 900 })];

    // Act
    await completeAuthorization(deps({ leadSeconds: 120, spreadSeconds: 300, random: () => 0.5 }), input);

    // Assess
    expect(sellerUpdate().ExpressionAttributeValues).toMatchObject({
      ':expiresAt': NOW_S + 900,
      ':next': NOW_S + 900 - 120 - 150,
    });
    expect(writtenSecret().accessTokenExpiresAt).toBe(new Date((NOW_S + 900) * 1000).toISOString());
  });

  it('takes issuedAt before the exchange, so a slow LWA answer errs early', async () => {
    // Prepare: LWA takes 40 s to answer.
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaLatencyMs = 40_000;
    lwaAnswers = [tokens({ expires_in: 3600 })];

    // Act
    await completeAuthorization(deps({ random: () => 0 }), input);

    // Assess
    expect(sellerUpdate().ExpressionAttributeValues).toMatchObject({
      ':expiresAt': NOW_S + 3600,
      ':next': NOW_S + 3600 - 600,
      ':now': NOW_S,
    });
  });

  it('stores an access-only secret and unschedules the seller when LWA returns no refresh token', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenNoSecretYet();
    givenSellerTableWritable();
    lwaAnswers = [tokens({ refresh_token: undefined })];

    // Act
    const outcome = await completeAuthorization(deps(), input);

    // Assess
    expect(outcome.status).toBe('ACCESS_ONLY');
    expect(writtenSecret()).not.toHaveProperty('refreshToken');
    expect(writtenSecret().accessToken).toBe(ACCESS_TOKEN);
    const update = sellerUpdate();
    expect(update.ExpressionAttributeValues).toMatchObject({ ':status': 'ACCESS_ONLY' });
    expect(update.ExpressionAttributeValues).not.toHaveProperty(':next');
    expect(update.UpdateExpression).not.toContain('nextRefreshAt =');
    expect(update.UpdateExpression).toMatch(/REMOVE .*nextRefreshAt/);
  });

  it.each([
    ['invalid_grant', oauthError(400, 'invalid_grant')],
    ['server_error', oauthError(500, 'server_error')],
    ['http_502', { status: 502, body: {} }],
    ['unauthorized_client', oauthError(400, 'unauthorized_client')],
    ['malformed_response', { status: 200, body: { token_type: 'bearer' } }],
  ] as const)(
    'turns an LWA failure (%s) into TokenExchangeError, tried once, with nothing written',
    async (code, answer) => {
      // Prepare
      givenAppCredentials();
      givenState();
      givenNoSecretYet();
      givenSellerTableWritable();
      lwaAnswers = [answer];

      // Act
      const completing = completeAuthorization(deps(), input);

      // Assess
      await expect(completing).rejects.toEqual(new TokenExchangeError(code));
      await expect(completing).rejects.toMatchObject({ name: 'TokenExchangeError', lwaCode: code });
      expect(lwaCalls).toHaveLength(1);
      expectNothingWritten();
    },
  );

  it('turns a network failure into TokenExchangeError without retrying the code', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    lwaAnswers = ['network-error'];

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'TokenExchangeError', lwaCode: 'network_error' });
    expect(lwaCalls).toHaveLength(1);
    expectNothingWritten();
  });

  it('tries the previous client secret when LWA rejects the current one during a rotation', async () => {
    // Prepare
    givenAppCredentials({
      ...CREDENTIALS,
      previousClientSecret: 'unit-client-secret-previous',
      previousClientSecretExpiresAt: new Date(NOW_MS + 86_400_000).toISOString(),
    });
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [oauthError(401, 'invalid_client'), tokens()];

    // Act
    const outcome = await completeAuthorization(deps(), input);

    // Assess
    expect(outcome.status).toBe('ACTIVE');
    expect(lwaCalls.map((c) => c.form.get('client_secret'))).toEqual([
      'unit-client-secret-current',
      'unit-client-secret-previous',
    ]);
    expect(lwaCalls.map((c) => c.form.get('code'))).toEqual([CODE, CODE]);
  });

  it('does not try a previous client secret that has expired', async () => {
    // Prepare
    givenAppCredentials({
      ...CREDENTIALS,
      previousClientSecret: 'unit-client-secret-previous',
      previousClientSecretExpiresAt: new Date(NOW_MS - 1_000).toISOString(),
    });
    givenState();
    lwaAnswers = [oauthError(401, 'invalid_client')];

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'TokenExchangeError', lwaCode: 'invalid_client' });
    expect(lwaCalls).toHaveLength(1);
    expectNothingWritten();
  });

  it('does not try the previous client secret after any failure other than invalid_client', async () => {
    // Prepare
    givenAppCredentials({
      ...CREDENTIALS,
      previousClientSecret: 'unit-client-secret-previous',
      previousClientSecretExpiresAt: new Date(NOW_MS + 86_400_000).toISOString(),
    });
    givenState();
    lwaAnswers = [oauthError(400, 'invalid_grant')];

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toMatchObject({ lwaCode: 'invalid_grant' });
    expect(lwaCalls).toHaveLength(1);
    expectNothingWritten();
  });

  it('rejects an unknown or replayed state before calling LWA', async () => {
    // Prepare
    givenAppCredentials();
    ddbMock.on(GetCommand, { TableName: STATE_TABLE }).resolves({});

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toEqual(new InvalidStateError('unknown'));
    expect(lwaCalls).toHaveLength(0);
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
    expectNothingWritten();
  });

  it('rejects a state another callback spent between the read and the delete, before calling LWA', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    ddbMock.on(DeleteCommand).rejects(conditionFailed());

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toEqual(new InvalidStateError('unknown'));
    expect(lwaCalls).toHaveLength(0);
    expectNothingWritten();
  });

  it('rejects an expired state before calling LWA', async () => {
    // Prepare
    givenAppCredentials();
    givenState({ region: 'EU', expiresAt: NOW_S - 1 });

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'InvalidStateError', reason: 'expired' });
    expect(lwaCalls).toHaveLength(0);
    // Refused, so not spent: the seller's real callback can still use it.
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
    expectNothingWritten();
  });

  it('rejects a state issued for another region than the callback names', async () => {
    // Prepare
    givenAppCredentials();
    givenState({ region: 'EU', expiresAt: NOW_S + 300 });

    // Act
    const completing = completeAuthorization(deps(), { ...input, regionHint: 'NA' });

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'InvalidStateError', reason: 'other-region' });
    expect(lwaCalls).toHaveLength(0);
    // Refused, so not spent: the seller's real callback can still use it.
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
    expectNothingWritten();
  });

  it('rejects a state bound to another seller', async () => {
    // Prepare
    givenAppCredentials();
    givenState({ region: 'EU', sellerId: 'A1OTHERSELLER9', expiresAt: NOW_S + 300 });

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'InvalidStateError', reason: 'other-seller' });
    expect(lwaCalls).toHaveLength(0);
    // Refused, so not spent: the seller's real callback can still use it.
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
    expectNothingWritten();
  });

  it('accepts a state bound to the same seller and a matching region hint', async () => {
    // Prepare
    givenAppCredentials();
    givenState({ region: 'FE', sellerId: SELLER, expiresAt: NOW_S + 300 });
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    const outcome = await completeAuthorization(deps(), { ...input, regionHint: 'FE' });

    // Assess
    expect(outcome).toMatchObject({ region: 'FE', secretName: `lwa-tokens/sellers/FE/${SELLER}` });
    expect(lwaCalls[0]?.url).toBe('https://api.amazon.co.jp/auth/o2/token');
  });

  it('begins with a new fence: PENDING, any refresh lease cleared, due in 5 minutes, before the secret', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [tokens()];

    // Act
    await completeAuthorization(deps(), input);

    // Assess: the fence is the secret's version id, and the final write requires it
    const begin = pendingUpdate();
    expect(begin.Key).toEqual({ sellerId: SELLER, region: 'EU' });
    expect(begin.UpdateExpression).toMatch(/ REMOVE leaseOwner, leaseExpiresAt$/);
    expect(begin.ExpressionAttributeValues).toMatchObject({
      ':pending': 'PENDING',
      ':pickUpAt': NOW_S + 300,
      ':secretName': `lwa-tokens/sellers/EU/${SELLER}`,
    });
    const fence = begin.ExpressionAttributeValues?.[':authorizationId'];
    expect(fence).toMatch(/^[0-9a-f-]{36}$/);
    expect(smMock).toReceiveCommandWith(PutSecretValueCommand, { ClientRequestToken: fence });
    expect(sellerUpdate()).toMatchObject({
      ConditionExpression: 'authorizationId = :authorizationId',
      ExpressionAttributeValues: expect.objectContaining({ ':authorizationId': fence, ':status': 'ACTIVE' }),
    });
  });

  it('leaves the item to a later authorization that began meanwhile, and still succeeds', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    ddbMock.on(UpdateCommand).resolves({});
    ddbMock
      .on(UpdateCommand, { ConditionExpression: 'authorizationId = :authorizationId' })
      .rejects(conditionFailed());
    lwaAnswers = [tokens()];

    // Act
    const outcome = await completeAuthorization(deps(), input);

    // Assess
    expect(outcome.status).toBe('ACTIVE');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('keeps the stored secret untouched when a re-authorization of a working seller returns no refresh token, without reading it', async () => {
    // Prepare: the item says a working refresh token is stored; the exchange is misconfigured
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    const storedExpiry = NOW_S + 600;
    ddbMock.on(UpdateCommand).callsFake((update) =>
      update.ExpressionAttributeValues?.[':pending']
        ? {
            Attributes: {
              status: 'ACTIVE',
              accessTokenExpiresAt: storedExpiry,
              authorizedAt: NOW_S - 3000,
            },
          }
        : {},
    );
    lwaAnswers = [tokens({ refresh_token: undefined })];

    // Act
    const outcome = await completeAuthorization(deps(), input);

    // Assess: no token secret read (the callback's role has no GetSecretValue on them) and none
    // written; the seller stays ACTIVE with its stored expiry, due now for the refresher.
    expect(outcome).toMatchObject({ status: 'ACTIVE', keptStoredRefreshToken: true });
    const tokenSecretCalls = smMock
      .calls()
      .filter((call) => JSON.stringify(call.args[0].input).includes(`lwa-tokens/sellers/EU/${SELLER}`));
    expect(tokenSecretCalls).toEqual([]);
    expect(sellerUpdate().ExpressionAttributeValues).toMatchObject({
      ':status': 'ACTIVE',
      ':expiresAt': storedExpiry,
      ':next': NOW_S,
    });
  });

  it('stores the access token alone, ACCESS_ONLY, when the item had no working refresh token, without reading the secret', async () => {
    // Prepare: the seller's refresh token was refused earlier; the exchange is misconfigured
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    ddbMock
      .on(UpdateCommand)
      .callsFake((update) =>
        update.ExpressionAttributeValues?.[':pending']
          ? { Attributes: { status: 'REAUTH_REQUIRED', accessTokenExpiresAt: NOW_S - 60 } }
          : {},
      );
    lwaAnswers = [tokens({ refresh_token: undefined })];

    // Act
    const outcome = await completeAuthorization(deps(), input);

    // Assess
    expect(outcome).toMatchObject({ status: 'ACCESS_ONLY', keptStoredRefreshToken: false });
    expect(
      smMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId),
    ).not.toContain(`lwa-tokens/sellers/EU/${SELLER}`);
    expect(writtenSecret()).toMatchObject({ accessToken: ACCESS_TOKEN });
    expect(writtenSecret().refreshToken).toBeUndefined();
    expect(sellerUpdate().ExpressionAttributeValues).toMatchObject({ ':status': 'ACCESS_ONLY' });
  });

  it('leaves only the PENDING item, due within minutes, when the secret could not be stored', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenSellerTableWritable();
    smMock
      .on(PutSecretValueCommand)
      .rejects(Object.assign(new Error('Access to KMS is not allowed'), { name: 'AccessDeniedException' }));
    lwaAnswers = [tokens()];

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(pendingUpdate().ExpressionAttributeValues).toMatchObject({
      ':pending': 'PENDING',
      ':pickUpAt': NOW_S + 300,
    });
  });

  it('leaves the state unspent when the app credentials cannot be read', async () => {
    // Prepare
    smMock
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));

    // Act
    const completing = completeAuthorization(deps(), input);

    // Assess
    await expect(completing).rejects.toBeInstanceOf(AppCredentialsError);
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
    expect(lwaCalls).toHaveLength(0);
  });
});

describe('completeAuthorization within the invocation’s time', () => {
  const INVOCATION_MS = 28_000;
  /** Lambda's remaining time, driven by the injected clock that every LWA call moves on. */
  const remainingTimeMs = () => INVOCATION_MS - (nowMs - NOW_MS);

  function depsWithLwaSpy() {
    const d = deps();
    const exchange = jest.spyOn(d.lwa, 'exchangeAuthorizationCode');
    return { deps: d, lwaTimeouts: () => exchange.mock.calls.map((call) => call[2]?.timeoutMs) };
  }

  function givenRotation(): void {
    givenAppCredentials({
      ...CREDENTIALS,
      previousClientSecret: 'unit-client-secret-previous',
      previousClientSecretExpiresAt: new Date(NOW_MS + 86_400_000).toISOString(),
    });
  }

  it('gives LWA only the time left beyond the write reserve, capped at the longest single wait', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [tokens(), tokens()];
    const { deps: d, lwaTimeouts } = depsWithLwaSpy();

    // Act
    await completeAuthorization(d, { ...input, remainingTimeMs: () => 15_000 });
    await completeAuthorization(d, { ...input, remainingTimeMs: () => 60_000 });

    // Assess: 15 s − 8 s reserve, then the 10 s cap
    expect(lwaTimeouts()).toEqual([7_000, 10_000]);
  });

  it('gives the fallback to the previous client secret only what the first call left', async () => {
    // Prepare: the first exchange takes 12 s to be refused
    givenRotation();
    givenState();
    givenExistingSecret();
    givenSellerTableWritable();
    lwaAnswers = [oauthError(401, 'invalid_client'), tokens()];
    lwaLatencyMs = 12_000;
    const { deps: d, lwaTimeouts } = depsWithLwaSpy();

    // Act
    const outcome = await completeAuthorization(d, { ...input, remainingTimeMs });

    // Assess: 28 − 12 = 16 s left, less the 8 s reserve; the writes still had their 8 s
    expect(outcome.status).toBe('ACTIVE');
    expect(lwaTimeouts()).toEqual([10_000, 8_000]);
    expect(calls).toEqual([
      'DeleteItem(state)',
      'LWA',
      'LWA',
      'UpdateItem(seller, PENDING)',
      'PutSecretValue',
      'UpdateItem(seller)',
    ]);
  });

  it('does not call LWA, and so leaves the code unspent, when too little time is left to store its answer', async () => {
    // Prepare
    givenAppCredentials();
    givenState();
    const { deps: d } = depsWithLwaSpy();

    // Act
    const completing = completeAuthorization(d, { ...input, remainingTimeMs: () => 9_999 });

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'TokenExchangeError', lwaCode: 'no_time_left' });
    expect(lwaCalls).toHaveLength(0);
    expectNothingWritten();
  });

  it('skips the fallback when the first call left too little time for a second one and the writes', async () => {
    // Prepare: the refusal takes 19 s, leaving 9 s
    givenRotation();
    givenState();
    lwaAnswers = [oauthError(401, 'invalid_client'), tokens()];
    lwaLatencyMs = 19_000;
    const { deps: d } = depsWithLwaSpy();

    // Act
    const completing = completeAuthorization(d, { ...input, remainingTimeMs });

    // Assess
    await expect(completing).rejects.toMatchObject({ name: 'TokenExchangeError', lwaCode: 'invalid_client' });
    expect(lwaCalls).toHaveLength(1);
    expectNothingWritten();
  });
});
