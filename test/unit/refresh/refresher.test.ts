import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { DueItem } from '../../../lambda/refresh/refresh-repository';
import {
  degradedNextRefreshAt,
  permanentFailureNextRefreshAt,
  refreshOne,
  runRefresh,
  secretWriteDeadline,
} from '../../../lambda/refresh/refresher';
import { toEpochSeconds } from '../../../lambda/shared/clock';
import type { SellerItem } from '../../../lambda/shared/seller-table';
import { serializeTokenSecret } from '../../../lambda/shared/token-secret';
import {
  AUTHORIZATION_ID,
  CLIENT_SECRET,
  conditionalCheckFailed,
  createHarness,
  emptySummary,
  type HarnessOptions,
  itemUpdates,
  json,
  KMS_KEY_ID,
  LWA_ENDPOINTS,
  leaseAcquires,
  loggedText,
  NOW,
  NOW_MS,
  newAccessToken,
  OWNER,
  PREVIOUS_CLIENT_SECRET,
  rotatedRefreshToken,
  rotatingAnswer,
  seller,
  storedRefreshToken,
  storedSecret,
  TABLE,
  TOKEN_MARKERS,
  UNDER_LEASE,
  writtenSecrets,
} from './refresh-harness';

const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);

beforeEach(() => {
  dynamo.reset();
  secretsManager.reset();
});

/** Lets every pending promise callback run; no wall-clock time is spent waiting. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const due = (item: SellerItem): DueItem => ({
  sellerId: item.sellerId,
  region: item.region as DueItem['region'],
  nextRefreshAt: item.nextRefreshAt ?? NOW,
});
const throttled = () =>
  new SecretsManagerServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });

function expectNoTokensLogged(log: Parameters<typeof loggedText>[0]): void {
  const text = loggedText(log);
  for (const marker of TOKEN_MARKERS) expect(text).not.toContain(marker);
}

/** One seller, refreshed through `refreshOne`. */
function oneSeller(overrides: Partial<SellerItem> = {}, options: Omit<HarnessOptions, 'sellers'> = {}) {
  const item = seller('A1SELLER0001', 'NA', overrides);
  const harness = createHarness(dynamo, secretsManager, { sellers: [item], ...options });
  const summary = emptySummary();
  return { item, harness, summary, run: () => refreshOne(harness.deps, due(item), OWNER, summary) };
}

describe('degradedNextRefreshAt', () => {
  it('backs off further as failures accumulate', () => {
    // Act
    const next = [1, 2, 3, 4, 5, 6].map((failureCount) =>
      degradedNextRefreshAt({ nowSeconds: NOW, failureCount, random: () => 0.5 }),
    );

    // Assess
    expect(next).toEqual([NOW + 120, NOW + 180, NOW + 300, NOW + 510, NOW + 510, NOW + 510]);
    for (let i = 1; i < next.length; i++) expect(next[i]).toBeGreaterThanOrEqual(next[i - 1] ?? 0);
  });

  it('waits at least a minute and at most about sixteen when the token is far from expiry', () => {
    // Act
    const soonest = degradedNextRefreshAt({ nowSeconds: NOW, failureCount: 1, random: () => 0 });
    const latest = degradedNextRefreshAt({ nowSeconds: NOW, failureCount: 50, random: () => 0.999_999 });

    // Assess
    expect(soonest).toBe(NOW + 60);
    expect(latest).toBe(NOW + 60 + 899);
  });

  it('never schedules later than two minutes before the access token expires', () => {
    // Act
    const next = degradedNextRefreshAt({
      nowSeconds: NOW,
      failureCount: 8,
      accessTokenExpiresAt: NOW + 300,
      random: () => 0.999_999,
    });

    // Assess
    expect(next).toBe(NOW + 180);
  });

  it('never schedules sooner than 30 s from now, even when the token is about to expire or expired', () => {
    // Act
    const nearlyExpired = degradedNextRefreshAt({
      nowSeconds: NOW,
      failureCount: 1,
      accessTokenExpiresAt: NOW + 100,
      random: () => 0.5,
    });
    const expired = degradedNextRefreshAt({
      nowSeconds: NOW,
      failureCount: 1,
      accessTokenExpiresAt: NOW - 3600,
      random: () => 0.5,
    });

    // Assess
    expect(nearlyExpired).toBe(NOW + 30);
    expect(expired).toBe(NOW + 30);
  });

  it('keeps both bounds for every failure count, draw and expiry', () => {
    for (let failureCount = 0; failureCount <= 40; failureCount++) {
      for (const draw of [0, 0.3, 0.7, 0.999_999]) {
        for (const expiresIn of [-60, 0, 100, 150, 151, 200, 600, 3600, undefined]) {
          // Prepare
          const accessTokenExpiresAt = expiresIn === undefined ? undefined : NOW + expiresIn;

          // Act
          const next = degradedNextRefreshAt({
            nowSeconds: NOW,
            failureCount,
            accessTokenExpiresAt,
            random: () => draw,
          });

          // Assess
          expect(next).toBeGreaterThanOrEqual(NOW + 30);
          if (accessTokenExpiresAt !== undefined && accessTokenExpiresAt - 120 >= NOW + 30) {
            expect(next).toBeLessThanOrEqual(accessTokenExpiresAt - 120);
          }
        }
      }
    }
  });
});

describe('secretWriteDeadline', () => {
  it('lets a write retry until 10 s before the invocation ends, far past the 50 s run budget', () => {
    // Act
    const deadline = secretWriteDeadline(NOW_MS, 300_000);

    // Assess
    expect(deadline).toBe(NOW_MS + 290_000);
  });
});

describe('permanentFailureNextRefreshAt', () => {
  it('keeps the transient backoff while the access token is still good', () => {
    // Act
    const next = permanentFailureNextRefreshAt({
      nowSeconds: NOW,
      failureCount: 3,
      repeated: true,
      accessTokenExpiresAt: NOW + 3000,
      random: () => 0.5,
    });

    // Assess
    expect(next).toBe(degradedNextRefreshAt({ nowSeconds: NOW, failureCount: 3, random: () => 0.5 }));
  });

  it('backs off exponentially once the token has expired, from a minute to at most an hour', () => {
    // Act
    const next = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((failureCount) =>
      permanentFailureNextRefreshAt({
        nowSeconds: NOW,
        failureCount,
        repeated: true,
        accessTokenExpiresAt: NOW - 600,
        random: () => 0.5,
      }),
    );

    // Assess
    expect(next.map((at) => at - NOW)).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it('starts again at a minute when the error is a different one from the last', () => {
    // Act
    const next = permanentFailureNextRefreshAt({
      nowSeconds: NOW,
      failureCount: 9,
      repeated: false,
      accessTokenExpiresAt: NOW - 600,
      random: () => 0.5,
    });

    // Assess
    expect(next).toBe(NOW + 60);
  });
});

describe('refreshOne', () => {
  it('takes the lease conditionally on the item still being due and unleased', async () => {
    // Prepare
    const { run, item } = oneSeller();

    // Act
    await run();

    // Assess
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { sellerId: item.sellerId, region: 'NA' },
      UpdateExpression: expect.stringContaining('leaseOwner = :owner'),
      ConditionExpression: expect.stringMatching(/nextRefreshAt <= :now.*leaseExpiresAt < :now/),
      ExpressionAttributeValues: expect.objectContaining({
        ':owner': OWNER,
        ':until': NOW + 360,
        ':now': NOW,
      }),
    });
  });

  it('stores the rotated refresh token, then schedules on the returned expires_in', async () => {
    // Prepare
    const { run, item, harness, summary } = oneSeller();
    harness.lwa.mockImplementation((form) => rotatingAnswer(form, 1800));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(summary).toMatchObject({ rotationsStored: 1, unpersistedRotations: 0, secretWriteRetries: 0 });
    const [written, ...more] = writtenSecrets(secretsManager);
    expect(more).toEqual([]);
    expect(written?.secretId).toBe(item.secretName);
    expect(written?.clientRequestToken).toMatch(UUID);
    expect(written?.value).toEqual({
      sellerId: item.sellerId,
      region: 'NA',
      accessToken: newAccessToken(item.sellerId),
      accessTokenExpiresAt: new Date((NOW + 1800) * 1000).toISOString(),
      refreshToken: rotatedRefreshToken(item.sellerId),
      tokenType: 'bearer',
      updatedAt: new Date(NOW_MS).toISOString(),
    });
    expect(itemUpdates(dynamo)).toEqual([
      {
        sellerId: item.sellerId,
        region: 'NA',
        set: {
          status: 'ACTIVE',
          accessTokenExpiresAt: NOW + 1800,
          // 1800 − lead 600 − spread floor(0.5 × 301) = 150
          nextRefreshAt: NOW + 1800 - 600 - 150,
          updatedAt: NOW,
          failureCount: 0,
          lastRefreshedAt: NOW,
        },
        remove: ['lastError', 'refreshFailingSince', 'leaseOwner', 'leaseExpiresAt'],
        condition: UNDER_LEASE,
        owner: OWNER,
      },
    ]);
  });

  it.each([
    ['no expires_in', { access_token: 'Atza|partial' }, 'Atza|partial'],
    ['a zero expires_in', { access_token: 'Atza|partial', expires_in: 0 }, 'Atza|partial'],
    ['a non-numeric expires_in', { access_token: 'Atza|partial', expires_in: 'soon' }, 'Atza|partial'],
    ['an empty access token', { access_token: '', expires_in: 3600 }, 'Atza|old-A1SELLER0001'],
  ])(
    'stores a refresh token rotated in a 200 with %s, marks the access token expired and retries within 5 minutes',
    async (_label, answer, accessToken) => {
      // Prepare
      const { run, item, harness, summary } = oneSeller();
      harness.lwa.mockImplementation(() =>
        json(200, { refresh_token: rotatedRefreshToken(item.sellerId), token_type: 'bearer', ...answer }),
      );

      // Act
      const outcome = await run();

      // Assess: the new refresh token is AWSCURRENT, with an access token nobody will trust
      expect(outcome).toBe('degraded');
      expect(summary).toMatchObject({ rotationsStored: 1, unpersistedRotations: 0 });
      expect(writtenSecrets(secretsManager).map((w) => w.value)).toEqual([
        {
          sellerId: item.sellerId,
          region: 'NA',
          accessToken,
          accessTokenExpiresAt: new Date(NOW_MS).toISOString(),
          refreshToken: rotatedRefreshToken(item.sellerId),
          tokenType: 'bearer',
          updatedAt: new Date(NOW_MS).toISOString(),
        },
      ]);
      const [update, ...more] = itemUpdates(dynamo);
      expect(more).toEqual([]);
      expect(update?.set).toMatchObject({
        status: 'DEGRADED',
        lastError: 'incomplete_token_response',
        failureCount: 1,
      });
      expect(update?.set.nextRefreshAt).toBeGreaterThan(NOW);
      expect(update?.set.nextRefreshAt).toBeLessThanOrEqual(NOW + 300);
      expect(harness.log.warn).toHaveBeenCalledWith(
        expect.stringContaining('stored the rotated refresh token'),
        expect.objectContaining({ sellerId: item.sellerId, region: 'NA' }),
      );
      expectNoTokensLogged(harness.log);
    },
  );

  it('backs off a repeated incomplete answer, so the secret is not rewritten every few minutes (invariant 12)', async () => {
    // Prepare: the fourth incomplete answer in a row
    const { run, item, harness } = oneSeller({ failureCount: 3, lastError: 'incomplete_token_response' });
    harness.lwa.mockImplementation(() =>
      json(200, { access_token: 'Atza|partial', refresh_token: rotatedRefreshToken(item.sellerId) }),
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('still-failing');
    expect(writtenSecrets(secretsManager)).toHaveLength(1);
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({ failureCount: 4, nextRefreshAt: NOW + 480 });
  });

  it('degrades with malformed_response, writing nothing, when an incomplete answer did not rotate the refresh token', async () => {
    // Prepare
    const { run, item, harness } = oneSeller();
    harness.lwa.mockImplementation(() =>
      json(200, { access_token: 'Atza|partial', refresh_token: storedRefreshToken(item.sellerId) }),
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('degraded');
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({
      status: 'DEGRADED',
      lastError: 'malformed_response',
    });
  });

  describe('a permanent per-seller error after the token expired', () => {
    const expired = { accessTokenExpiresAt: NOW - 600 };
    const cases: Array<[string, () => Response, string, HarnessOptions['secrets']?]> = [
      ['invalid_request', () => json(400, { error: 'invalid_request' }), 'invalid_request'],
      [
        'an HTML 403 page',
        () =>
          new Response('<html>Forbidden</html>', { status: 403, headers: { 'content-type': 'text/html' } }),
        'http_403',
      ],
    ];

    it.each(cases)(
      '%s: backs off exponentially up to an hour, records lastError, and counts RefreshDegraded only once',
      async (_label, answer, code) => {
        // Prepare: the seller has failed this way five times already
        const { run, harness } = oneSeller({ ...expired, failureCount: 5, lastError: code });
        harness.lwa.mockImplementation(answer);

        // Act
        const outcome = await run();

        // Assess
        expect(outcome).toBe('still-failing');
        const [update] = itemUpdates(dynamo);
        expect(update?.set).toMatchObject({ status: 'DEGRADED', lastError: code, failureCount: 6 });
        // 60 s × 2^5, not the 30 s that made it come back every tick
        expect(update?.set.nextRefreshAt).toBe(NOW + 1920);
      },
    );

    it('counts the first failure with a new error in RefreshDegraded, a repeat not', async () => {
      // Prepare: one seller fails with invalid_request for the first time, one again
      const first = seller('A1SELLER0001', 'NA', { ...expired, failureCount: 2, lastError: 'server_error' });
      const again = seller('A1SELLER0002', 'NA', {
        ...expired,
        failureCount: 2,
        lastError: 'invalid_request',
      });
      const harness = createHarness(dynamo, secretsManager, { sellers: [first, again] });
      harness.lwa.mockImplementation(() => json(400, { error: 'invalid_request' }));

      // Act
      const summary = await runRefresh(harness.deps, { deadlineMs: NOW_MS + 50_000, owner: OWNER });

      // Assess
      expect(summary).toMatchObject({ due: 2, degraded: 1, stillFailing: 1 });
      const [firstUpdate, againUpdate] = itemUpdates(dynamo);
      expect(firstUpdate?.set).toMatchObject({ lastError: 'invalid_request', nextRefreshAt: NOW + 60 });
      expect(againUpdate?.set).toMatchObject({ lastError: 'invalid_request', nextRefreshAt: NOW + 240 });
    });

    it('treats a malformed secret the same way', async () => {
      // Prepare
      const item = seller('A1SELLER0001', 'NA', {
        ...expired,
        failureCount: 7,
        lastError: 'secret_malformed',
      });
      const harness = createHarness(dynamo, secretsManager, { sellers: [item] });
      secretsManager
        .on(GetSecretValueCommand, { SecretId: item.secretName })
        .resolves({ SecretString: '{"x":1}' });
      const summary = emptySummary();

      // Act
      const outcome = await refreshOne(harness.deps, due(item), OWNER, summary);

      // Assess
      expect(outcome).toBe('still-failing');
      expect(harness.lwa).not.toHaveBeenCalled();
      expect(itemUpdates(dynamo)[0]?.set).toMatchObject({
        lastError: 'secret_malformed',
        failureCount: 8,
        nextRefreshAt: NOW + 3600,
      });
    });

    it('keeps retrying a transient error every tick after expiry, as before', async () => {
      // Prepare
      const { run, harness } = oneSeller({ ...expired, failureCount: 5, lastError: 'server_error' });
      harness.lwa.mockImplementation(() => json(500, { error: 'server_error' }));

      // Act
      const outcome = await run();

      // Assess: three attempts within the run, then the next tick
      expect(outcome).toBe('degraded');
      const now = toEpochSeconds(harness.time.now);
      expect(itemUpdates(dynamo)[0]?.set.nextRefreshAt).toBe(now + 30);
    });
  });

  it('writes the secret before the item update that releases the lease', async () => {
    // Prepare
    const { run, item, harness } = oneSeller();

    // Act
    await run();

    // Assess
    expect(harness.events).toEqual([
      `lease:${item.sellerId}`,
      `lwa:${storedRefreshToken(item.sellerId)}`,
      `put:${item.secretName}`,
      `update:${item.sellerId}:ACTIVE`,
    ]);
  });

  it('sends the stored refresh token and the app credentials to the seller region endpoint', async () => {
    // Prepare
    const { run, item, harness } = oneSeller();

    // Act
    await run();

    // Assess
    expect(harness.lwa).toHaveBeenCalledTimes(1);
    const [form, url] = harness.lwa.mock.calls[0] ?? [];
    expect(url).toBe(`${LWA_ENDPOINTS.NA}/auth/o2/token`);
    expect(Object.fromEntries(form ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: storedRefreshToken(item.sellerId),
      client_id: expect.any(String),
      client_secret: CLIENT_SECRET,
    });
  });

  it.each([
    ['no refresh token', undefined],
    ['the same refresh token', 'same'],
  ])('keeps the stored refresh token when LWA returns %s', async (_label, kind) => {
    // Prepare
    const { run, item, harness, summary } = oneSeller();
    harness.lwa.mockImplementation(() =>
      json(200, {
        access_token: newAccessToken(item.sellerId),
        ...(kind ? { refresh_token: storedRefreshToken(item.sellerId) } : {}),
        token_type: 'bearer',
        expires_in: 3600,
      }),
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(summary.rotationsStored).toBe(0);
    expect(writtenSecrets(secretsManager)[0]?.value).toMatchObject({
      accessToken: newAccessToken(item.sellerId),
      refreshToken: storedRefreshToken(item.sellerId),
    });
  });

  it('marks REAUTH_REQUIRED on invalid_grant, unschedules the seller under the lease and emits an event', async () => {
    // Prepare
    const { run, item, harness, summary } = oneSeller();
    harness.lwa.mockImplementation(() => json(400, { error: 'invalid_grant', error_description: 'revoked' }));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('reauth-required');
    expect(harness.lwa).toHaveBeenCalledTimes(1);
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      Key: { sellerId: item.sellerId, region: 'NA' },
      UpdateExpression: expect.stringMatching(/REMOVE nextRefreshAt\b/),
      ConditionExpression: UNDER_LEASE,
      ExpressionAttributeValues: expect.objectContaining({ ':owner': OWNER }),
    });
    expect(itemUpdates(dynamo)).toEqual([
      expect.objectContaining({
        set: { status: 'REAUTH_REQUIRED', lastError: 'invalid_grant', updatedAt: NOW },
        remove: ['nextRefreshAt', 'leaseOwner', 'leaseExpiresAt'],
      }),
    ]);
    expect(harness.published).toHaveBeenCalledWith(
      'Seller reauthorization required',
      expect.objectContaining({
        sellerId: item.sellerId,
        region: 'NA',
        kind: 'seller',
        reason: 'invalid_grant',
      }),
    );
    expect(summary.unpersistedRotations).toBe(0);
    expectNoTokensLogged(harness.log);
  });

  it('retries a transient 503 within the run, then marks DEGRADED with a backoff nextRefreshAt', async () => {
    // Prepare
    const { run, item, harness } = oneSeller({ failureCount: 2, accessTokenExpiresAt: NOW + 3000 });
    harness.lwa.mockImplementation(() => json(503, { error: 'temporarily_unavailable' }));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('degraded');
    expect(harness.lwa).toHaveBeenCalledTimes(3);
    expect(harness.sleep).toHaveBeenCalledTimes(2);
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    const nowSeconds = toEpochSeconds(harness.time.now);
    expect(itemUpdates(dynamo)).toEqual([
      {
        sellerId: item.sellerId,
        region: 'NA',
        set: {
          status: 'DEGRADED',
          lastError: 'temporarily_unavailable',
          failureCount: 3,
          nextRefreshAt: degradedNextRefreshAt({
            nowSeconds,
            failureCount: 3,
            accessTokenExpiresAt: NOW + 3000,
            random: () => 0.5,
          }),
          updatedAt: nowSeconds,
        },
        remove: ['leaseOwner', 'leaseExpiresAt'],
        condition: UNDER_LEASE,
        owner: OWNER,
      },
    ]);
    expect(harness.log.warn).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ lwaError: 'temporarily_unavailable', failureCount: 3 }),
    );
    expectNoTokensLogged(harness.log);
  });

  it('keeps the DEGRADED backoff before the stored access token expires', async () => {
    // Prepare
    const { run, harness } = oneSeller({ failureCount: 9, accessTokenExpiresAt: NOW + 400 });
    harness.lwa.mockImplementation(() => json(500, { error: 'server_error' }));

    // Act
    await run();

    // Assess
    const [update] = itemUpdates(dynamo);
    expect(update?.set.nextRefreshAt).toBeLessThanOrEqual(NOW + 400 - 120);
    expect(update?.set.nextRefreshAt).toBeGreaterThanOrEqual(toEpochSeconds(harness.time.now) + 30);
  });

  it('classifies an LWA timeout as transient and records it', async () => {
    // Prepare
    const { run, harness } = oneSeller();
    harness.lwa.mockImplementation(() => new DOMException('The operation timed out', 'TimeoutError'));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('degraded');
    expect(harness.lwa).toHaveBeenCalledTimes(3);
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({ status: 'DEGRADED', lastError: 'timeout' });
  });

  it('recovers when a retry succeeds within the run', async () => {
    // Prepare
    const { run, harness } = oneSeller({ status: 'DEGRADED', failureCount: 4 });
    harness.lwa.mockImplementationOnce(() => json(429, { error: 'TooManyRequests' }));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(harness.sleep).toHaveBeenCalledTimes(1);
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
  });

  it('honours Retry-After before retrying', async () => {
    // Prepare
    const { run, harness } = oneSeller();
    harness.lwa.mockImplementationOnce(() => json(429, { error: 'TooManyRequests' }, { 'Retry-After': '3' }));

    // Act
    await run();

    // Assess
    expect(harness.sleep).toHaveBeenCalledTimes(1);
    expect(harness.sleep.mock.calls[0]?.[0]).toBeGreaterThanOrEqual(3_000);
    expect(harness.lwa).toHaveBeenCalledTimes(2);
  });

  it('caps a long Retry-After at the retry maxDelayMs', async () => {
    // Prepare
    const { run, harness } = oneSeller();
    harness.lwa.mockImplementationOnce(() => json(503, { error: 'server_error' }, { 'Retry-After': '3600' }));

    // Act
    await run();

    // Assess
    expect(harness.sleep.mock.calls).toEqual([[5_000]]);
  });

  it.each(['invalid_client', 'unauthorized_client'])(
    'on %s releases the lease without marking the seller and raises an app fault',
    async (code) => {
      // Prepare
      const { run, item, harness } = oneSeller();
      harness.lwa.mockImplementation(() => json(401, { error: code }));

      // Act
      const outcome = run();

      // Assess
      await expect(outcome).rejects.toMatchObject({ name: 'AppFault', code });
      expect(harness.lwa).toHaveBeenCalledTimes(1);
      expect(itemUpdates(dynamo)).toEqual([
        {
          sellerId: item.sellerId,
          region: 'NA',
          set: {},
          remove: ['leaseOwner', 'leaseExpiresAt'],
          condition: UNDER_LEASE,
          owner: OWNER,
        },
      ]);
    },
  );

  it('falls back to the previous client secret during a rotation', async () => {
    // Prepare
    const { run, harness } = oneSeller({}, { previousClientSecretExpiresAt: '2026-11-25T00:00:00.000Z' });
    harness.lwa.mockImplementationOnce(() => json(401, { error: 'invalid_client' }));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(harness.lwa.mock.calls.map(([form]) => form.get('client_secret'))).toEqual([
      CLIENT_SECRET,
      PREVIOUS_CLIENT_SECRET,
    ]);
  });

  it('does not offer a previous client secret past its expiry', async () => {
    // Prepare
    const { run, harness } = oneSeller({}, { previousClientSecretExpiresAt: '2026-11-24T19:59:59.000Z' });
    harness.lwa.mockImplementation(() => json(401, { error: 'invalid_client' }));

    // Act
    const outcome = run();

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'AppFault' });
    expect(harness.lwa).toHaveBeenCalledTimes(1);
  });

  it('retries a throttled secret write with one ClientRequestToken generated before LWA was called', async () => {
    // Prepare
    const { run, harness, summary } = oneSeller();
    secretsManager.on(PutSecretValueCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    const tokens = writtenSecrets(secretsManager).map((w) => w.clientRequestToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(UUID);
    expect(summary.secretWriteRetries).toBe(2);
    expect(harness.writeSleep).toHaveBeenCalledTimes(2);
  });

  it('counts an unpersisted rotation when every write fails, logs it without a token, and degrades', async () => {
    // Prepare
    const { run, item, harness, summary } = oneSeller({ failureCount: 0 });
    secretsManager.on(PutSecretValueCommand).rejects(throttled());

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('degraded');
    expect(summary.unpersistedRotations).toBe(1);
    expect(summary.rotationsStored).toBe(0);
    expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 3);
    expect(harness.log.error).toHaveBeenCalledTimes(1);
    expect(harness.log.error).toHaveBeenCalledWith(
      expect.stringContaining('Unpersisted rotation'),
      expect.objectContaining({ sellerId: item.sellerId, region: 'NA', error: 'ThrottlingException' }),
    );
    expect(itemUpdates(dynamo)).toEqual([
      expect.objectContaining({
        set: expect.objectContaining({
          status: 'DEGRADED',
          lastError: 'secret_write_failed',
          failureCount: 1,
        }),
        condition: UNDER_LEASE,
      }),
    ]);
    expectNoTokensLogged(harness.log);
  });

  it('retries a rotated token write throttled far past the bounded retries until it is stored, pacing every attempt', async () => {
    // Prepare: throttled for 40 attempts; the write may go on for two minutes
    const { item, harness, summary } = oneSeller();
    let throttledFor = 40;
    secretsManager.on(PutSecretValueCommand).callsFake(() => {
      if (throttledFor-- > 0) throw throttled();
      return {};
    });
    const paced = jest.spyOn(harness.deps.secretWrites, 'acquire');

    // Act
    const outcome = await refreshOne(harness.deps, due(item), OWNER, summary, NOW_MS + 120_000);

    // Assess
    expect(outcome).toBe('refreshed');
    expect(summary).toMatchObject({ rotationsStored: 1, unpersistedRotations: 0, secretWriteRetries: 40 });
    const written = writtenSecrets(secretsManager);
    expect(written).toHaveLength(41);
    expect(new Set(written.map((w) => w.clientRequestToken)).size).toBe(1);
    expect(paced).toHaveBeenCalledTimes(41);
    expect(written.at(-1)?.value.refreshToken).toBe(rotatedRefreshToken(item.sellerId));
  });

  it('counts a rotation still unwritten at the write deadline as unpersisted, logged without the token', async () => {
    // Prepare
    const { item, harness, summary } = oneSeller();
    secretsManager.on(PutSecretValueCommand).rejects(throttled());
    const deadline = NOW_MS + 30_000;

    // Act
    const outcome = await refreshOne(harness.deps, due(item), OWNER, summary, deadline);

    // Assess
    expect(outcome).toBe('degraded');
    expect(summary.unpersistedRotations).toBe(1);
    expect(writtenSecrets(secretsManager).length).toBeGreaterThan(3);
    expect(harness.time.now).toBeLessThanOrEqual(deadline);
    expect(harness.log.error).toHaveBeenCalledWith(
      expect.stringContaining('Unpersisted rotation'),
      expect.objectContaining({ sellerId: item.sellerId, error: 'ThrottlingException' }),
    );
    expectNoTokensLogged(harness.log);
  });

  it('gives runRefresh writes until the write deadline, past the deadline for taking work', async () => {
    // Prepare
    const item = seller('A1SELLER0001');
    const harness = createHarness(dynamo, secretsManager, { sellers: [item] });
    let throttledFor = 40;
    secretsManager.on(PutSecretValueCommand).callsFake(() => {
      if (throttledFor-- > 0) throw throttled();
      return {};
    });

    // Act
    const summary = await runRefresh(harness.deps, {
      deadlineMs: NOW_MS + 5_000,
      writeDeadlineMs: NOW_MS + 200_000,
      owner: OWNER,
    });

    // Assess
    expect(summary).toMatchObject({ refreshed: 1, rotationsStored: 1, unpersistedRotations: 0 });
  });

  it('degrades without counting an unpersisted rotation when the failed write held no new refresh token', async () => {
    // Prepare
    const { run, item, harness, summary } = oneSeller();
    harness.lwa.mockImplementation(() =>
      json(200, { access_token: newAccessToken(item.sellerId), token_type: 'bearer', expires_in: 3600 }),
    );
    secretsManager.on(PutSecretValueCommand).rejects(throttled());

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('degraded');
    expect(summary.unpersistedRotations).toBe(0);
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({ lastError: 'secret_write_failed' });
  });

  it('skips LWA when the secret is already fresh after taking the lease', async () => {
    // Prepare
    const item = seller('A1SELLER0001');
    const freshExpiry = NOW + 3500;
    const { run, harness } = oneSeller(
      {},
      {
        secrets: {
          [item.secretName]: storedSecret(item, {
            accessTokenExpiresAt: new Date(freshExpiry * 1000).toISOString(),
          }),
        },
      },
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('already-fresh');
    expect(harness.lwa).not.toHaveBeenCalled();
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    expect(itemUpdates(dynamo)).toEqual([
      expect.objectContaining({
        set: {
          status: 'ACTIVE',
          accessTokenExpiresAt: freshExpiry,
          // The same schedule a refresh makes: lead 600 and spread floor(0.5 × 301) = 150
          nextRefreshAt: freshExpiry - 600 - 150,
          updatedAt: NOW,
          failureCount: 0,
        },
        condition: UNDER_LEASE,
      }),
    ]);
  });

  it('finds a 15-minute token another worker stored a minute ago already fresh: no LWA call, no second write', async () => {
    // Prepare: written at NOW − 60, it expires at NOW + 840; the lead (capped at half its life) and
    // the 10-minute floor between writes both put its next refresh in the future
    const item = seller('A1SELLER0001');
    const { run, harness } = oneSeller(
      {},
      {
        secrets: {
          [item.secretName]: storedSecret(item, {
            accessTokenExpiresAt: new Date((NOW + 840) * 1000).toISOString(),
            updatedAt: new Date((NOW - 60) * 1000).toISOString(),
          }),
        },
      },
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('already-fresh');
    expect(harness.lwa).not.toHaveBeenCalled();
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({ status: 'ACTIVE', nextRefreshAt: NOW - 60 + 600 });
  });

  it('refreshes a token whose stored copy was marked expired, however recently it was written', async () => {
    // Prepare: an incomplete answer a minute ago stored the rotated refresh token, expired
    const item = seller('A1SELLER0001');
    const { run } = oneSeller(
      {},
      {
        secrets: {
          [item.secretName]: storedSecret(item, {
            accessTokenExpiresAt: new Date((NOW - 60) * 1000).toISOString(),
            updatedAt: new Date((NOW - 60) * 1000).toISOString(),
          }),
        },
      },
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
  });

  it('schedules a 15-minute token 10 minutes after its write, not at half its life (invariant 12)', async () => {
    // Prepare
    const { run, harness } = oneSeller();
    harness.lwa.mockImplementation((form) => rotatingAnswer(form, 900));

    // Act
    await run();

    // Assess
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({
      accessTokenExpiresAt: NOW + 900,
      nextRefreshAt: NOW + 600,
    });
    expect(harness.log.warn).not.toHaveBeenCalled();
  });

  it('honours a lower MIN_SECRET_WRITE_INTERVAL_SECONDS, as the local run sets it', async () => {
    // Prepare
    const { run, harness } = oneSeller({}, { config: { minSecretWriteIntervalSeconds: 0 } });
    harness.lwa.mockImplementation((form) => rotatingAnswer(form, 120));

    // Act
    await run();

    // Assess
    expect(itemUpdates(dynamo)[0]?.set).toMatchObject({ nextRefreshAt: NOW + 60 });
  });

  it('does nothing when the lease is not granted', async () => {
    // Prepare
    const { run, harness } = oneSeller();
    dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('not-leased');
    expect(harness.lwa).not.toHaveBeenCalled();
    expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 0);
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it.each([
    ['missing', undefined, 'secret_missing'],
    ['without a refresh token', 'no-refresh-token', 'no_refresh_token'],
  ])('marks REAUTH_REQUIRED when the secret is %s', async (_label, kind, code) => {
    // Prepare
    const item = seller('A1SELLER0001');
    const { run, harness } = oneSeller(
      {},
      { secrets: { [item.secretName]: kind ? storedSecret(item, { refreshToken: undefined }) : undefined } },
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('reauth-required');
    expect(harness.lwa).not.toHaveBeenCalled();
    expect(itemUpdates(dynamo)[0]).toMatchObject({
      set: { status: 'REAUTH_REQUIRED', lastError: code },
      remove: expect.arrayContaining(['nextRefreshAt']),
    });
    // The event names the real reason, so an operator can tell a revoked token from a lost secret.
    expect(harness.published).toHaveBeenCalledWith(
      'Seller reauthorization required',
      expect.objectContaining({ sellerId: item.sellerId, region: 'NA', reason: code }),
    );
  });

  it('reports lease-lost but keeps the stored token when the lease was taken over before the item update', async () => {
    // Prepare
    const { run, harness } = oneSeller();
    dynamo.on(UpdateCommand, { ConditionExpression: UNDER_LEASE }).rejects(conditionalCheckFailed());

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('lease-lost');
    expect(writtenSecrets(secretsManager)).toHaveLength(1);
    expectNoTokensLogged(harness.log);
  });
});

describe('refreshOne when the seller authorizes again meanwhile (invariant 9)', () => {
  const NEW_AUTHORIZATION = '7f9d2c4e-1a3b-4c5d-8e6f-0a1b2c3d4e5f';
  /** What a re-authorization leaves behind: a new fence, status PENDING, no lease. */
  const supersededByReauthorization = () =>
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: { authorizationId: { S: NEW_AUTHORIZATION }, status: { S: 'PENDING' } },
    });
  const authorizedValue = (item: SellerItem) =>
    serializeTokenSecret(
      storedSecret(item, {
        accessToken: 'Atza|reauthorized',
        refreshToken: 'Atzr|reauthorized',
        accessTokenExpiresAt: new Date((NOW + 3600) * 1000).toISOString(),
      }),
    );

  it('carries the fence it was leased under into every item write', async () => {
    // Prepare
    const { run } = oneSeller();

    // Act
    await run();

    // Assess
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      ConditionExpression: UNDER_LEASE,
      ExpressionAttributeValues: expect.objectContaining({ ':owner': OWNER, ':fence': AUTHORIZATION_ID }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('puts the authorization’s tokens back on top when its refresh write landed over them', async () => {
    // Prepare: the authorization wrote its version during the LWA call; ours then displaced it
    const { run, item, harness, summary } = oneSeller();
    dynamo.on(UpdateCommand, { ConditionExpression: UNDER_LEASE }).rejects(supersededByReauthorization());
    let ourVersion: string | undefined;
    secretsManager.on(PutSecretValueCommand).callsFake((input) => {
      ourVersion ??= input.ClientRequestToken;
      return { VersionId: input.ClientRequestToken };
    });
    secretsManager.on(DescribeSecretCommand).callsFake(() => ({
      VersionIdsToStages: {
        [ourVersion as string]: ['AWSCURRENT'],
        [NEW_AUTHORIZATION]: ['AWSPREVIOUS'],
      },
    }));
    secretsManager
      .on(GetSecretValueCommand, { SecretId: item.secretName, VersionId: NEW_AUTHORIZATION })
      .resolves({ SecretString: authorizedValue(item), VersionId: NEW_AUTHORIZATION });

    // Act
    const outcome = await run();

    // Assess: the stale write is followed by the authorization's value, and nothing marks the seller
    expect(outcome).toBe('superseded');
    const puts = secretsManager.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(2);
    expect(puts[1]).toMatchObject({ SecretId: item.secretName, SecretString: authorizedValue(item) });
    expect(puts[1]?.ClientRequestToken).toMatch(UUID);
    expect(puts[1]?.ClientRequestToken).not.toBe(ourVersion);
    expect(harness.published).not.toHaveBeenCalled();
    expect(summary.rotationsStored).toBe(1);
    expectNoTokensLogged(harness.log);
  });

  it('keeps its write when it refreshed the authorization’s own refresh token (read after the authorization)', async () => {
    // Prepare: the authorization wrote before this refresh read the secret, so the refresh presented
    // the new refresh token, and LWA may have rotated it: the refresh's write is the one to keep
    const { run, item } = oneSeller();
    dynamo.on(UpdateCommand, { ConditionExpression: UNDER_LEASE }).rejects(supersededByReauthorization());
    secretsManager.on(DescribeSecretCommand).callsFake(() => {
      const ours = secretsManager.commandCalls(PutSecretValueCommand)[0]?.args[0].input.ClientRequestToken;
      return {
        VersionIdsToStages: { [ours as string]: ['AWSCURRENT'], [NEW_AUTHORIZATION]: ['AWSPREVIOUS'] },
      };
    });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: item.secretName, VersionId: NEW_AUTHORIZATION })
      .resolves({ SecretString: serializeTokenSecret(storedSecret(item)), VersionId: NEW_AUTHORIZATION });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('superseded');
    expect(writtenSecrets(secretsManager).map((w) => w.value.refreshToken)).toEqual([
      rotatedRefreshToken(item.sellerId),
    ]);
  });

  it('leaves the secret alone when the authorization’s write is on top or still to come', async () => {
    // Prepare: the authorization has set its fence but not written its secret yet
    const { run, item } = oneSeller();
    dynamo.on(UpdateCommand, { ConditionExpression: UNDER_LEASE }).rejects(supersededByReauthorization());
    secretsManager.on(DescribeSecretCommand).callsFake(() => {
      const ours = secretsManager.commandCalls(PutSecretValueCommand)[0]?.args[0].input.ClientRequestToken;
      return { VersionIdsToStages: { [ours as string]: ['AWSCURRENT'], 'version-before': ['AWSPREVIOUS'] } };
    });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('superseded');
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(1);
    expect(secretsManager).not.toReceiveCommandWith(GetSecretValueCommand, {
      SecretId: item.secretName,
      VersionId: NEW_AUTHORIZATION,
    });
  });

  it('does not mark the seller REAUTH_REQUIRED when LWA rejects the old token after the re-authorization', async () => {
    // Prepare
    const { run, harness, summary } = oneSeller();
    harness.lwa.mockImplementation(() => json(400, { error: 'invalid_grant', error_description: 'revoked' }));
    dynamo.on(UpdateCommand, { ConditionExpression: UNDER_LEASE }).rejects(supersededByReauthorization());

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('superseded');
    expect(harness.published).not.toHaveBeenCalled();
    expect(harness.log.warn).not.toHaveBeenCalledWith(
      expect.stringContaining('must authorize again'),
      expect.anything(),
    );
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    expect(summary.unpersistedRotations).toBe(0);
  });
});

describe('refreshOne on a PENDING item (an authorization cut short)', () => {
  it('indexes an orphan secret: its fresh tokens make the item ACTIVE and scheduled, without calling LWA', async () => {
    // Prepare: the callback wrote the secret and died before its final item write
    const item = seller('A1SELLER0001', 'NA', { status: 'PENDING', nextRefreshAt: NOW - 1 });
    const freshExpiry = NOW + 3300;
    const { run, harness } = oneSeller(
      { status: 'PENDING', nextRefreshAt: NOW - 1 },
      {
        secrets: {
          [item.secretName]: storedSecret(item, {
            accessTokenExpiresAt: new Date(freshExpiry * 1000).toISOString(),
          }),
        },
      },
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('already-fresh');
    expect(harness.lwa).not.toHaveBeenCalled();
    expect(leaseAcquires(dynamo)[0]?.ExpressionAttributeValues).toMatchObject({ ':pending': 'PENDING' });
    expect(itemUpdates(dynamo)).toEqual([
      expect.objectContaining({
        // The schedule a refresh would give it: lead 600 s, spread 150 s (random 0.5 of 300 s).
        set: expect.objectContaining({ status: 'ACTIVE', nextRefreshAt: freshExpiry - 600 - 150 }),
        condition: UNDER_LEASE,
      }),
    ]);
  });

  it('marks REAUTH_REQUIRED when the authorization never stored its secret', async () => {
    // Prepare
    const item = seller('A1SELLER0001', 'NA', { status: 'PENDING' });
    const { run, harness } = oneSeller({ status: 'PENDING' }, { secrets: { [item.secretName]: undefined } });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('reauth-required');
    expect(harness.log.warn).toHaveBeenCalledWith(
      expect.stringContaining('An authorization never stored its tokens'),
      expect.objectContaining({ reason: 'secret_missing' }),
    );
  });
});

describe('runRefresh', () => {
  it('refreshes every due seller and summarises the run', async () => {
    // Prepare
    const sellers = [seller('A1SELLER0001'), seller('A1SELLER0002'), seller('A1SELLER0003')];
    const { deps, log } = createHarness(dynamo, secretsManager, { sellers, config: { concurrency: 2 } });

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });

    // Assess
    expect(summary).toEqual({ ...emptySummary(), due: 3, refreshed: 3, rotationsStored: 3 });
    expect(dynamo).toReceiveCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'byRegion',
      ExpressionAttributeValues: { ':region': 'NA', ':now': NOW },
    });
    expect(writtenSecrets(secretsManager).map((w) => w.value.refreshToken)).toEqual(
      expect.arrayContaining(sellers.map((s) => rotatedRefreshToken(s.sellerId))),
    );
    expectNoTokensLogged(log);
  });

  it('stops on invalid_client with concurrency 4: one app fault, no seller marked, leases released', async () => {
    // Prepare
    const sellers = Array.from({ length: 12 }, (_, i) => seller(`A1SELLER${String(i).padStart(4, '0')}`));
    const { deps, log, lwa } = createHarness(dynamo, secretsManager, { sellers, config: { concurrency: 4 } });
    lwa.mockImplementation(() => json(401, { error: 'invalid_client' }));

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });

    // Assess
    expect(summary.appFault).toBe('invalid_client');
    expect(summary).toMatchObject({ refreshed: 0, degraded: 0, reauthRequired: 0 });
    const leased = leaseAcquires(dynamo).map((input) => input.Key?.sellerId);
    expect(leased.length).toBeGreaterThan(0);
    expect(leased.length).toBeLessThanOrEqual(4);
    const updates = itemUpdates(dynamo);
    expect(updates.every((u) => Object.keys(u.set).length === 0)).toBe(true);
    expect(updates.map((u) => u.sellerId).sort()).toEqual([...leased].sort());
    expect(updates.every((u) => u.remove.includes('leaseOwner') && u.owner === OWNER)).toBe(true);
    const appFaultLogs = log.error.mock.calls.filter(([message]) =>
      String(message).includes('app credentials'),
    );
    expect(appFaultLogs).toHaveLength(1);
    expect(appFaultLogs[0]?.[1]).toEqual({ lwaError: 'invalid_client' });
    expect(secretsManager).not.toReceiveCommand(PutSecretValueCommand);
    expectNoTokensLogged(log);
  });

  it('takes no work when the deadline has already passed, but still counts the expired tokens it left', async () => {
    // Prepare: one due seller whose token ran out a minute ago, one still valid
    const { deps, lwa } = createHarness(dynamo, secretsManager, {
      sellers: [seller('A1SELLER0001', 'NA', { accessTokenExpiresAt: NOW - 60 }), seller('A1SELLER0002')],
      config: { concurrency: 3 },
    });

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS - 1, owner: OWNER });

    // Assess: the due pages are read for the TokensExpired gauge, and nothing is written
    expect(summary).toEqual({ ...emptySummary(), budgetExhausted: true, tokensExpired: 1 });
    expect(dynamo).toReceiveCommandTimes(QueryCommand, 1);
    expect(dynamo).not.toReceiveCommand(UpdateCommand);
    expect(lwa).not.toHaveBeenCalled();
  });

  it('stops taking new work once the deadline passes mid-run and leaves the rest due', async () => {
    // Prepare
    const sellers = [seller('A1SELLER0001'), seller('A1SELLER0002'), seller('A1SELLER0003')];
    const { deps, lwa, time } = createHarness(dynamo, secretsManager, { sellers });
    lwa.mockImplementation((form) => {
      time.now += 20_000;
      return rotatingAnswer(form);
    });

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 30_000, owner: OWNER });

    // Assess
    expect(summary).toMatchObject({ due: 2, refreshed: 2, budgetExhausted: true });
    expect(leaseAcquires(dynamo).map((input) => input.Key?.sellerId)).toEqual([
      'A1SELLER0001',
      'A1SELLER0002',
    ]);
  });

  it('does not report the budget exhausted when the deadline passes during the last due seller', async () => {
    // Prepare: two due sellers, one worker, 20 s per refresh, so the second ends past the deadline
    const sellers = [seller('A1SELLER0001'), seller('A1SELLER0002')];
    const { deps, lwa, time } = createHarness(dynamo, secretsManager, {
      sellers,
      config: { concurrency: 1 },
    });
    lwa.mockImplementation((form) => {
      time.now += 20_000;
      return rotatingAnswer(form);
    });

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 30_000, owner: OWNER });

    // Assess: every due seller was refreshed, so the run did not fall behind
    expect(summary).toMatchObject({ due: 2, refreshed: 2, budgetExhausted: false });
  });

  it('warns once that tokens shorter than the write interval are too short for the version quota', async () => {
    // Prepare: LWA issues 5-minute tokens to three sellers, over two runs
    const sellers = ['A1SELLER0001', 'A1SELLER0002', 'A1SELLER0003'].map((id) => seller(id));
    const harness = createHarness(dynamo, secretsManager, { sellers });
    harness.lwa.mockImplementation((form) => rotatingAnswer(form, 300));

    // Act
    await runRefresh(harness.deps, { deadlineMs: NOW_MS + 50_000, owner: OWNER });
    await runRefresh(harness.deps, { deadlineMs: NOW_MS + 50_000, owner: OWNER });

    // Assess
    const warnings = harness.log.warn.mock.calls.filter(([message]) => /too short/.test(String(message)));
    expect(warnings).toEqual([
      [
        expect.stringContaining("Secrets Manager's version quota"),
        { expiresInSeconds: 300, minSecretWriteIntervalSeconds: 600 },
      ],
    ]);
    for (const update of itemUpdates(dynamo))
      expect(update.set.nextRefreshAt).toBeGreaterThanOrEqual(NOW + 600);
  });

  it('interleaves regions so one backlog cannot starve another', async () => {
    // Prepare
    const sellers = [
      seller('A1NA00001', 'NA'),
      seller('A1NA00002', 'NA'),
      seller('A1NA00003', 'NA'),
      seller('A1EU00001', 'EU'),
      seller('A1EU00002', 'EU'),
      seller('A1FE00001', 'FE'),
    ];
    const { deps, lwa } = createHarness(dynamo, secretsManager, {
      sellers,
      config: { regions: ['NA', 'EU', 'FE'], concurrency: 1 },
    });

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });

    // Assess
    expect(summary).toMatchObject({ due: 6, refreshed: 6 });
    expect(leaseAcquires(dynamo).map((input) => input.Key?.sellerId)).toEqual([
      'A1NA00001',
      'A1EU00001',
      'A1FE00001',
      'A1NA00002',
      'A1EU00002',
      'A1NA00003',
    ]);
    expect(lwa.mock.calls.map(([, url]) => url)).toEqual([
      `${LWA_ENDPOINTS.NA}/auth/o2/token`,
      `${LWA_ENDPOINTS.EU}/auth/o2/token`,
      `${LWA_ENDPOINTS.FE}/auth/o2/token`,
      `${LWA_ENDPOINTS.NA}/auth/o2/token`,
      `${LWA_ENDPOINTS.EU}/auth/o2/token`,
      `${LWA_ENDPOINTS.NA}/auth/o2/token`,
    ]);
  });

  it('isolates failures: one seller needing reauth and one degraded do not stop the others', async () => {
    // Prepare
    const sellers = [seller('A1REVOKED1'), seller('A1FLAKY001'), seller('A1HEALTHY1'), seller('A1LOCKED01')];
    const { deps, lwa, log } = createHarness(dynamo, secretsManager, { sellers, config: { concurrency: 2 } });
    dynamo
      // The lease is the only update that asks for the item back.
      .on(UpdateCommand, { Key: { sellerId: 'A1LOCKED01', region: 'NA' }, ReturnValues: 'ALL_NEW' })
      .rejects(conditionalCheckFailed());
    lwa.mockImplementation((form) => {
      const refreshToken = form.get('refresh_token');
      if (refreshToken === storedRefreshToken('A1REVOKED1')) return json(400, { error: 'invalid_grant' });
      if (refreshToken === storedRefreshToken('A1FLAKY001')) return json(500, { error: 'server_error' });
      return rotatingAnswer(form);
    });

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });

    // Assess
    expect(summary).toEqual({
      ...emptySummary(),
      due: 4,
      refreshed: 1,
      reauthRequired: 1,
      degraded: 1,
      notLeased: 1,
      rotationsStored: 1,
    });
    expectNoTokensLogged(log);
  });

  it('lets in-flight refreshes store their tokens before failing the run on a query error', async () => {
    // Prepare
    const sellers = [seller('A1NA00001', 'NA'), seller('A1EU00001', 'EU')];
    const { deps, lwa } = createHarness(dynamo, secretsManager, {
      sellers,
      config: { regions: ['NA', 'EU'], concurrency: 2 },
    });
    const throttledQuery = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':region': 'EU', ':now': NOW } })
      .rejects(throttledQuery);
    let answerLwa: () => void = () => {};
    lwa.mockImplementation(
      (form) =>
        new Promise((resolve) => {
          answerLwa = () => resolve(rotatingAnswer(form));
        }),
    );
    let settled = false;

    // Act
    const run = runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });
    run.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (let i = 0; i < 20 && lwa.mock.calls.length === 0; i++) await settle();
    const settledWhileLwaInFlight = settled;
    answerLwa();

    // Assess
    expect(lwa).toHaveBeenCalledTimes(1);
    expect(settledWhileLwaInFlight).toBe(false);
    await expect(run).rejects.toThrow('Rate exceeded');
    expect(writtenSecrets(secretsManager).map((w) => w.value.refreshToken)).toEqual([
      rotatedRefreshToken('A1NA00001'),
    ]);
    expect(itemUpdates(dynamo).map((u) => u.set.status)).toEqual(['ACTIVE']);
  });

  it('logs an unexpected failure for one seller and carries on with the next', async () => {
    // Prepare
    const sellers = [seller('A1BROKEN01'), seller('A1HEALTHY1')];
    const { deps, log } = createHarness(dynamo, secretsManager, { sellers });
    const outage = Object.assign(new Error('Internal server error'), {
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    dynamo
      .on(UpdateCommand, { Key: { sellerId: 'A1BROKEN01' }, ConditionExpression: UNDER_LEASE })
      .rejects(outage);

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });

    // Assess
    expect(summary).toMatchObject({ due: 2, refreshed: 1, degraded: 1 });
    expect(log.error).toHaveBeenCalledWith('Unexpected refresh failure', {
      sellerId: 'A1BROKEN01',
      region: 'NA',
      error: 'InternalServerError',
    });
    expect(writtenSecrets(secretsManager).map((w) => w.value.refreshToken)).toEqual([
      rotatedRefreshToken('A1BROKEN01'),
      rotatedRefreshToken('A1HEALTHY1'),
    ]);
    expectNoTokensLogged(log);
  });

  it('creates a vanished secret with the stack KMS key and the seller tags', async () => {
    // Prepare
    const item = seller('A1SELLER0001', 'EU');
    const { deps } = createHarness(dynamo, secretsManager, { sellers: [item], config: { regions: ['EU'] } });
    secretsManager
      .on(PutSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'deleted', $metadata: { httpStatusCode: 400 } }));
    secretsManager.on(CreateSecretCommand).resolves({});

    // Act
    const summary = await runRefresh(deps, { deadlineMs: NOW_MS + 60_000, owner: OWNER });

    // Assess
    expect(summary).toMatchObject({ refreshed: 1, rotationsStored: 1 });
    expect(secretsManager).toReceiveCommandWith(CreateSecretCommand, {
      Name: item.secretName,
      KmsKeyId: KMS_KEY_ID,
      ClientRequestToken: expect.stringMatching(UUID),
      Tags: expect.arrayContaining([
        { Key: 'sellerId', Value: item.sellerId },
        { Key: 'region', Value: 'EU' },
      ]),
    });
  });
});
