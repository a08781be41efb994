/**
 * A refresher wired to mocked AWS clients, a scripted LWA (the real LwaClient over an injected
 * fetch), a virtual clock and recording sleeps, so every refresh path runs without I/O or waiting.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { RateLimiter, Semaphore } from '../../../lambda/refresh/pacing';
import { RefreshRepository } from '../../../lambda/refresh/refresh-repository';
import {
  emptyRefreshSummary,
  type RefreshConfig,
  type RefreshDeps,
  type RefreshLog,
} from '../../../lambda/refresh/refresher';
import { AppCredentialsProvider } from '../../../lambda/shared/app-credentials';
import type { LifecycleEvent, LifecycleEventDetail } from '../../../lambda/shared/lifecycle-events';
import { LwaClient } from '../../../lambda/shared/lwa-client';
import type { Region } from '../../../lambda/shared/regions';
import { sellerSecretName } from '../../../lambda/shared/secret-names';
import type { SellerItem } from '../../../lambda/shared/seller-table';
import { serializeTokenSecret, type TokenSecretValue } from '../../../lambda/shared/token-secret';
import { TokenStore } from '../../../lambda/shared/token-store';

export const NOW_MS = Date.parse('2026-11-24T20:00:00.000Z');
export const NOW = NOW_MS / 1000;
export const OWNER = 'run-7b0f2c1e';
/** The fence of the seller's current authorization, as the lease returns it. */
export const AUTHORIZATION_ID = '0b7e1f3a-5c2d-4e8f-9a61-3d4c5b6a7e80';
/** The condition of every item write after the lease: the lease is ours and the fence unmoved. */
export const UNDER_LEASE = 'leaseOwner = :owner AND authorizationId = :fence';
export const TABLE = 'sellers';
export const APP_SECRET_ID = 'lwa-app-credentials';
export const CLIENT_ID = 'amzn1.application-oa2-client.abc';
export const CLIENT_SECRET = 'amzn1.oa2-cs.v1.current-client-secret';
export const PREVIOUS_CLIENT_SECRET = 'amzn1.oa2-cs.v1.previous-client-secret';
export const KMS_KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
export const LWA_ENDPOINTS: Record<Region, string> = {
  NA: 'https://lwa-na.test',
  EU: 'https://lwa-eu.test',
  FE: 'https://lwa-fe.test',
};

/** Every token in these tests carries one of these prefixes, so one scan finds any leak. */
export const TOKEN_MARKERS = ['Atzr|', 'Atza|', CLIENT_SECRET, PREVIOUS_CLIENT_SECRET];

export const storedRefreshToken = (sellerId: string) => `Atzr|stored-${sellerId}`;
export const rotatedRefreshToken = (sellerId: string) => `Atzr|rotated-${sellerId}`;
export const newAccessToken = (sellerId: string) => `Atza|new-${sellerId}`;

export function seller(
  sellerId: string,
  region: Region = 'NA',
  overrides: Partial<SellerItem> = {},
): SellerItem {
  return {
    sellerId,
    region,
    status: 'ACTIVE',
    secretName: sellerSecretName('lwa-tokens', region, sellerId),
    accessTokenExpiresAt: NOW + 300,
    nextRefreshAt: NOW - 10,
    failureCount: 0,
    authorizationId: AUTHORIZATION_ID,
    ...overrides,
  };
}

/** The secret of a seller whose access token expires in five minutes, i.e. is due. */
export function storedSecret(item: SellerItem, overrides: Partial<TokenSecretValue> = {}): TokenSecretValue {
  return {
    sellerId: item.sellerId,
    region: item.region as Region,
    accessToken: `Atza|old-${item.sellerId}`,
    accessTokenExpiresAt: new Date((NOW + 300) * 1000).toISOString(),
    refreshToken: storedRefreshToken(item.sellerId),
    tokenType: 'bearer',
    updatedAt: new Date((NOW - 3300) * 1000).toISOString(),
    ...overrides,
  };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** LWA's usual answer: a new access token and a rotated refresh token for the seller in the request. */
export function rotatingAnswer(form: URLSearchParams, expiresIn = 3600): Response {
  const sellerId = (form.get('refresh_token') ?? '').replace('Atzr|stored-', '');
  return json(200, {
    access_token: newAccessToken(sellerId),
    refresh_token: rotatedRefreshToken(sellerId),
    token_type: 'bearer',
    expires_in: expiresIn,
  });
}

export const emptySummary = emptyRefreshSummary;

export interface FakeLog {
  info: jest.Mock;
  warn: jest.Mock;
  error: jest.Mock;
}

/** Everything that was logged, as one string, to scan for tokens. */
export function loggedText(log: FakeLog): string {
  return [log.info, log.warn, log.error]
    .flatMap((fn) => fn.mock.calls.map((args) => JSON.stringify(args)))
    .join('\n');
}

export interface HarnessOptions {
  readonly sellers: SellerItem[];
  /** Secrets by name; a seller without an entry gets `storedSecret(seller)`. `undefined` means missing. */
  readonly secrets?: Record<string, TokenSecretValue | undefined>;
  readonly config?: Partial<RefreshConfig>;
  readonly previousClientSecretExpiresAt?: string;
  readonly writeMaxAttempts?: number;
}

export interface Harness {
  readonly deps: RefreshDeps;
  readonly time: { now: number };
  /** The refresher's own sleep (LWA retries); it advances the clock. */
  readonly sleep: jest.Mock<Promise<void>, [number]>;
  /** The token store's retry sleep: recorded, and it advances the clock. */
  readonly writeSleep: jest.Mock<Promise<void>, [number]>;
  readonly log: FakeLog;
  /** Answers each LWA request; defaults to `rotatingAnswer`. Return an Error to make fetch reject. */
  readonly lwa: jest.Mock<Response | Error | Promise<Response | Error>, [URLSearchParams, string]>;
  /** Records every lifecycle event the refresher publishes. */
  readonly published: jest.Mock<Promise<boolean>, [LifecycleEvent, LifecycleEventDetail]>;
  /** The order in which leases, LWA calls, secret writes and item updates happened. */
  readonly events: string[];
}

/** Installs default behaviour on the two client mocks (reset them first) and builds the deps. */
export function createHarness(
  dynamo: AwsClientStub<DynamoDBDocumentClient>,
  secretsManager: AwsClientStub<SecretsManagerClient>,
  options: HarnessOptions,
): Harness {
  const time = { now: NOW_MS };
  const clock = () => time.now;
  const random = () => 0.5;
  const events: string[] = [];
  const sleep = jest.fn(async (ms: number) => {
    time.now += ms;
  });
  const writeSleep = jest.fn(async (ms: number) => {
    time.now += ms;
  });
  const log: FakeLog = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const lwa: Harness['lwa'] = jest.fn((form: URLSearchParams, _url: string) => rotatingAnswer(form));
  const published: Harness['published'] = jest.fn(async (_type, _detail) => true);

  const fetch = jest.fn(
    async (url: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> => {
      const form = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
      events.push(`lwa:${form.get('refresh_token')}`);
      const answer = await lwa(form, String(url));
      if (answer instanceof Response) return answer;
      throw answer;
    },
  );

  const bySellerId = new Map(options.sellers.map((item) => [item.sellerId, item]));
  dynamo.on(QueryCommand).callsFake((input) => ({
    Items: options.sellers
      .filter((item) => item.region === input.ExpressionAttributeValues[':region'])
      // The index projects every attribute.
      .map(({ sellerId, region, nextRefreshAt, status, accessTokenExpiresAt }) => ({
        sellerId,
        region,
        nextRefreshAt,
        status,
        accessTokenExpiresAt,
      })),
  }));
  dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const sellerId = String(input.Key?.sellerId);
    if (isLeaseAcquire(input)) {
      events.push(`lease:${sellerId}`);
      const item = bySellerId.get(sellerId);
      if (!item) throw conditionalCheckFailed();
      const values = input.ExpressionAttributeValues ?? {};
      return { Attributes: { ...item, leaseOwner: values[':owner'], leaseExpiresAt: values[':until'] } };
    }
    events.push(`update:${sellerId}:${String(describeUpdate(input).set.status ?? 'lease-released')}`);
    return {};
  });

  const secrets = new Map<string, TokenSecretValue | undefined>(
    options.sellers.map((item) => [item.secretName, storedSecret(item)]),
  );
  for (const [name, value] of Object.entries(options.secrets ?? {})) secrets.set(name, value);
  secretsManager.on(GetSecretValueCommand).callsFake((input) => {
    if (input.SecretId === APP_SECRET_ID) {
      return {
        SecretString: JSON.stringify({
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          applicationId: 'amzn1.sp.solution.abc',
          ...(options.previousClientSecretExpiresAt
            ? {
                previousClientSecret: PREVIOUS_CLIENT_SECRET,
                previousClientSecretExpiresAt: options.previousClientSecretExpiresAt,
              }
            : {}),
        }),
      };
    }
    const value = secrets.get(input.SecretId);
    if (!value)
      throw new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } });
    return { SecretString: serializeTokenSecret(value) };
  });
  secretsManager.on(PutSecretValueCommand).callsFake((input) => {
    events.push(`put:${input.SecretId}`);
    return { VersionId: input.ClientRequestToken };
  });

  const secretsManagerClient = new SecretsManagerClient({ region: 'us-east-1' });
  const config: RefreshConfig = {
    regions: ['NA'],
    lwaEndpoints: LWA_ENDPOINTS,
    kmsKeyId: KMS_KEY_ID,
    leadSeconds: 600,
    spreadSeconds: 300,
    concurrency: 1,
    leaseSeconds: 360,
    lwaMaxAttempts: 3,
    ...options.config,
  };
  const deps: RefreshDeps = {
    repository: new RefreshRepository(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      TABLE,
    ),
    tokens: new TokenStore(secretsManagerClient, {
      maxAttempts: options.writeMaxAttempts ?? 3,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      sleep: writeSleep,
      random,
    }),
    lwa: new LwaClient({ fetch: fetch as unknown as typeof globalThis.fetch }),
    appCredentials: new AppCredentialsProvider(secretsManagerClient, APP_SECRET_ID, clock),
    // The write pacer sleeps on the same virtual clock, but apart from `sleep` so LWA waits stay countable.
    secretWrites: new RateLimiter(20, clock, async (ms) => {
      time.now += ms;
    }),
    lwaCalls: new Semaphore(4),
    clock,
    sleep,
    random,
    lwaRetry: { baseDelayMs: 250, maxDelayMs: 5_000 },
    log: log as unknown as RefreshLog,
    events: { publish: published },
    config,
  };
  return { deps, time, sleep, writeSleep, log, lwa, published, events };
}

export const conditionalCheckFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

export function isLeaseAcquire(input: UpdateCommandInput): boolean {
  return /^SET leaseOwner = /.test(input.UpdateExpression ?? '');
}

export interface DecodedUpdate {
  readonly sellerId: unknown;
  readonly region: unknown;
  readonly set: Record<string, unknown>;
  readonly remove: string[];
  readonly condition?: string;
  readonly owner: unknown;
}

/** Reads `SET a = :v0, #b = :v1 REMOVE c, d` back into attribute names and values. */
export function describeUpdate(input: UpdateCommandInput): DecodedUpdate {
  const expression = input.UpdateExpression ?? '';
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const [setPart = '', removePart = ''] = expression.split(/\s*REMOVE\s+/);
  const set: Record<string, unknown> = {};
  for (const assignment of setPart
    .replace(/^SET\s+/, '')
    .split(/,\s*/)
    .filter(Boolean)) {
    const [attribute = '', placeholder = ''] = assignment.split(/\s*=\s*/);
    set[names[attribute] ?? attribute] = values[placeholder];
  }
  const remove = removePart
    .split(/,\s*/)
    .filter(Boolean)
    .map((attribute) => names[attribute] ?? attribute);
  return {
    sellerId: input.Key?.sellerId,
    region: input.Key?.region,
    set,
    remove,
    condition: input.ConditionExpression,
    owner: values[':owner'],
  };
}

/** The item updates after the lease (outcome writes and lease releases), decoded. */
export function itemUpdates(dynamo: AwsClientStub<DynamoDBDocumentClient>): DecodedUpdate[] {
  return dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => !isLeaseAcquire(input))
    .map(describeUpdate);
}

export function leaseAcquires(dynamo: AwsClientStub<DynamoDBDocumentClient>): UpdateCommandInput[] {
  return dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter(isLeaseAcquire);
}

/** The token secrets written, parsed, in order. */
export function writtenSecrets(secretsManager: AwsClientStub<SecretsManagerClient>) {
  return secretsManager.commandCalls(PutSecretValueCommand).map((call) => {
    const input = call.args[0].input;
    return {
      secretId: input.SecretId,
      clientRequestToken: input.ClientRequestToken,
      value: JSON.parse(input.SecretString ?? '{}') as Record<string, unknown>,
    };
  });
}
