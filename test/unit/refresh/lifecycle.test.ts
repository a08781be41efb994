import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { authorizeLink, planAuthorizationNotice } from '../../../lambda/refresh/authorization-expiry';
import type { DueItem } from '../../../lambda/refresh/refresh-repository';
import { refreshOne, runRefresh } from '../../../lambda/refresh/refresher';
import type { SellerItem } from '../../../lambda/shared/seller-table';
import {
  conditionalCheckFailed,
  createHarness,
  emptySummary,
  type HarnessOptions,
  itemUpdates,
  json,
  NOW,
  OWNER,
  seller,
  TOKEN_MARKERS,
} from './refresh-harness';

const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);
const DAY = 86_400;
const YEAR = 365 * DAY;

beforeEach(() => {
  dynamo.reset();
  secretsManager.reset();
});

const due = (item: SellerItem): DueItem => ({
  sellerId: item.sellerId,
  region: item.region as DueItem['region'],
  nextRefreshAt: item.nextRefreshAt ?? NOW,
});

function oneSeller(overrides: Partial<SellerItem> = {}, options: Omit<HarnessOptions, 'sellers'> = {}) {
  const item = seller('A1SELLER0001', 'NA', overrides);
  const harness = createHarness(dynamo, secretsManager, { sellers: [item], ...options });
  const summary = emptySummary();
  return { item, harness, summary, run: () => refreshOne(harness.deps, due(item), OWNER, summary) };
}

function noticeWrites() {
  return dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => /authorizationExpiresAt = :expiresAt/.test(input.UpdateExpression ?? ''));
}

describe('planAuthorizationNotice', () => {
  it('notifies each threshold once, most distant first, as the expiry comes closer', () => {
    // Prepare
    const expiresAt = NOW + 40 * DAY;
    const at = (daysLeft: number) => expiresAt - daysLeft * DAY;

    // Act / Assess
    expect(planAuthorizationNotice({ authorizationExpiresAt: expiresAt }, at(31))).toBeUndefined();
    expect(planAuthorizationNotice({ authorizationExpiresAt: expiresAt }, at(30))?.noticeDays).toBe(30);
    expect(
      planAuthorizationNotice({ authorizationExpiresAt: expiresAt, expiryNoticeDays: 30 }, at(20)),
    ).toBeUndefined();
    expect(
      planAuthorizationNotice({ authorizationExpiresAt: expiresAt, expiryNoticeDays: 30 }, at(7))?.noticeDays,
    ).toBe(7);
    expect(
      planAuthorizationNotice({ authorizationExpiresAt: expiresAt, expiryNoticeDays: 7 }, at(0.5))
        ?.noticeDays,
    ).toBe(1);
    expect(
      planAuthorizationNotice({ authorizationExpiresAt: expiresAt, expiryNoticeDays: 1 }, at(0.1)),
    ).toBeUndefined();
  });

  it('after missed runs sends only the most urgent threshold reached, and nothing once expired', () => {
    // Act / Assess
    expect(planAuthorizationNotice({ authorizationExpiresAt: NOW + 5 * DAY }, NOW)?.noticeDays).toBe(7);
    expect(planAuthorizationNotice({ authorizationExpiresAt: NOW + 3600 }, NOW)?.noticeDays).toBe(1);
    expect(planAuthorizationNotice({ authorizationExpiresAt: NOW - 1 }, NOW)).toBeUndefined();
  });

  it('backfills a seller item without authorizationExpiresAt from authorizedAt', () => {
    // Act / Assess
    expect(planAuthorizationNotice({ authorizedAt: NOW - 100 * DAY }, NOW)).toEqual({
      authorizationExpiresAt: NOW - 100 * DAY + YEAR,
      backfillFromAuthorizedAt: NOW - 100 * DAY,
    });
    expect(planAuthorizationNotice({ authorizedAt: NOW - 360 * DAY }, NOW)).toEqual({
      authorizationExpiresAt: NOW + 5 * DAY,
      backfillFromAuthorizedAt: NOW - 360 * DAY,
      noticeDays: 7,
    });
  });

  it('leaves grantless and device items, and items with no authorizedAt, alone', () => {
    // Act / Assess
    expect(
      planAuthorizationNotice({ kind: 'grantless', authorizedAt: NOW - 364 * DAY }, NOW),
    ).toBeUndefined();
    expect(planAuthorizationNotice({ kind: 'device', authorizedAt: NOW - 364 * DAY }, NOW)).toBeUndefined();
    expect(planAuthorizationNotice({}, NOW)).toBeUndefined();
  });

  it('links to the stack’s /authorize with the seller’s region', () => {
    // Act / Assess
    expect(authorizeLink('https://abc.execute-api.us-east-1.amazonaws.com/prod/authorize', 'EU')).toBe(
      'https://abc.execute-api.us-east-1.amazonaws.com/prod/authorize?region=EU',
    );
    expect(authorizeLink(undefined, 'EU')).toBeUndefined();
  });
});

describe('refreshOne lifecycle events', () => {
  it('sends "Seller authorization expiring" after recording the notice, with the authorize link', async () => {
    // Prepare
    const { run, item, harness, summary } = oneSeller(
      { authorizedAt: NOW - 358 * DAY, authorizationExpiresAt: NOW - 358 * DAY + YEAR },
      { config: { authorizeUrl: 'https://api.example/prod/authorize' } },
    );

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(summary.expiryNotices).toBe(1);
    const [write] = noticeWrites();
    expect(write?.ConditionExpression).toBe(
      'authorizationExpiresAt = :expiresAt AND (attribute_not_exists(expiryNoticeDays) OR expiryNoticeDays > :days)',
    );
    expect(write?.ExpressionAttributeValues).toMatchObject({ ':days': 7 });
    expect(harness.published).toHaveBeenCalledWith('Seller authorization expiring', {
      sellerId: item.sellerId,
      region: 'NA',
      kind: 'seller',
      daysBefore: 7,
      authorizationExpiresAt: new Date((NOW + 7 * DAY) * 1000).toISOString(),
      authorizeUrl: 'https://api.example/prod/authorize?region=NA',
    });
  });

  it('sends nothing when another writer recorded the notice first', async () => {
    // Prepare: the notice write's condition fails (a racing run recorded it)
    const { run, item, harness } = oneSeller({ authorizationExpiresAt: NOW + 3 * DAY });
    dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      if (/^SET leaseOwner/.test(input.UpdateExpression ?? '')) {
        return { Attributes: { ...item, leaseOwner: input.ExpressionAttributeValues?.[':owner'] } };
      }
      if (/expiryNoticeDays/.test(input.ConditionExpression ?? '')) throw conditionalCheckFailed();
      return {};
    });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(harness.published).not.toHaveBeenCalledWith('Seller authorization expiring', expect.anything());
  });

  it('marks a past-expiry invalid_grant as authorization_expired', async () => {
    // Prepare
    const { run, item, harness } = oneSeller({ authorizationExpiresAt: NOW - 60 });
    harness.lwa.mockImplementation(() => json(400, { error: 'invalid_grant' }));

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('reauth-required');
    expect(itemUpdates(dynamo).at(-1)?.set).toMatchObject({
      status: 'REAUTH_REQUIRED',
      lastError: 'authorization_expired',
    });
    expect(harness.published).toHaveBeenCalledWith(
      'Seller reauthorization required',
      expect.objectContaining({ sellerId: item.sellerId, reason: 'authorization_expired' }),
    );
  });

  it('sends "Token refresh failing" once when a refresh fails after the token expired', async () => {
    // Prepare: the token ran out a minute ago and LWA keeps failing
    const first = oneSeller({ accessTokenExpiresAt: NOW - 60, failureCount: 2 });
    first.harness.lwa.mockImplementation(() => json(503, { error: 'server_error' }));

    // Act
    const outcome = await first.run();

    // Assess
    expect(outcome).toBe('degraded');
    expect(itemUpdates(dynamo).at(-1)?.set).toMatchObject({ status: 'DEGRADED', refreshFailingSince: NOW });
    expect(first.harness.published).toHaveBeenCalledTimes(1);
    expect(first.harness.published).toHaveBeenCalledWith('Token refresh failing', {
      sellerId: first.item.sellerId,
      region: 'NA',
      kind: 'seller',
      reason: 'server_error',
      failureCount: 3,
      accessTokenExpiresAt: new Date((NOW - 60) * 1000).toISOString(),
      failingSince: new Date(NOW * 1000).toISOString(),
    });

    // Act again: the item is already marked, as the next run would lease it
    dynamo.reset();
    secretsManager.reset();
    const again = oneSeller({
      accessTokenExpiresAt: NOW - 60,
      failureCount: 3,
      refreshFailingSince: NOW - 120,
    });
    again.harness.lwa.mockImplementation(() => json(503, { error: 'server_error' }));
    expect(await again.run()).toBe('degraded');

    // Assess
    expect(again.harness.published).not.toHaveBeenCalled();
    expect(itemUpdates(dynamo).at(-1)?.set).not.toHaveProperty('refreshFailingSince');
  });

  it('does not send "failing" for a failure while the token is still valid', async () => {
    // Prepare
    const { run, harness } = oneSeller({ accessTokenExpiresAt: NOW + 300 });
    harness.lwa.mockImplementation(() => json(503, { error: 'server_error' }));

    // Act
    expect(await run()).toBe('degraded');

    // Assess
    expect(harness.published).not.toHaveBeenCalled();
  });

  it('sends "Token refresh recovered" on the first success after "failing", and clears the mark', async () => {
    // Prepare
    const { run, item, harness } = oneSeller({
      status: 'DEGRADED',
      accessTokenExpiresAt: NOW - 600,
      refreshFailingSince: NOW - 300,
      failureCount: 4,
    });

    // Act
    const outcome = await run();

    // Assess
    expect(outcome).toBe('refreshed');
    expect(itemUpdates(dynamo)[0]?.remove).toContain('refreshFailingSince');
    expect(harness.published).toHaveBeenCalledWith('Token refresh recovered', {
      sellerId: item.sellerId,
      region: 'NA',
      kind: 'seller',
      failingSince: new Date((NOW - 300) * 1000).toISOString(),
      recoveredAt: new Date(NOW * 1000).toISOString(),
    });
    expect(JSON.stringify(harness.published.mock.calls)).not.toMatch(
      new RegExp(TOKEN_MARKERS.map((m) => m.replace(/[|.]/g, '\\$&')).join('|')),
    );
  });

  it('never lets a dropped event change the outcome', async () => {
    // Prepare
    const { run, harness } = oneSeller({
      status: 'DEGRADED',
      accessTokenExpiresAt: NOW - 600,
      refreshFailingSince: NOW - 300,
    });
    harness.published.mockResolvedValue(false);

    // Act / Assess
    expect(await run()).toBe('refreshed');
  });
});

describe('runRefresh gauges and backfill', () => {
  it('counts refreshable items whose token had expired when the run started (TokensExpired)', async () => {
    // Prepare
    const sellers = [
      seller('A1SELLER0001', 'NA', { accessTokenExpiresAt: NOW - 1 }),
      seller('A1SELLER0002', 'NA', { accessTokenExpiresAt: NOW - 900, status: 'DEGRADED' }),
      seller('A1SELLER0003', 'NA', { accessTokenExpiresAt: NOW + 300 }),
      seller('A1SELLER0004', 'NA', { accessTokenExpiresAt: NOW }),
    ];
    const harness = createHarness(dynamo, secretsManager, { sellers });

    // Act
    const summary = await runRefresh(harness.deps, { deadlineMs: NOW * 1000 + 50_000, owner: OWNER });

    // Assess
    expect(summary).toMatchObject({ due: 4, refreshed: 4, tokensExpired: 2 });
  });

  it('backfills at most 20 authorizations per run', async () => {
    // Prepare: 25 legacy sellers without authorizationExpiresAt
    const sellers = Array.from({ length: 25 }, (_, i) =>
      seller(`A1LEGACY${String(i).padStart(4, '0')}`, 'NA', { authorizedAt: NOW - 30 * DAY }),
    );
    const harness = createHarness(dynamo, secretsManager, { sellers });

    // Act
    const summary = await runRefresh(harness.deps, { deadlineMs: NOW * 1000 + 50_000, owner: OWNER });

    // Assess
    expect(summary).toMatchObject({ refreshed: 25, authorizationsBackfilled: 20, expiryNotices: 0 });
    const writes = noticeWrites();
    expect(writes).toHaveLength(20);
    expect(writes[0]?.ConditionExpression).toBe(
      'attribute_not_exists(authorizationExpiresAt) AND authorizedAt = :authorizedAt',
    );
    expect(writes[0]?.ExpressionAttributeValues).toMatchObject({ ':expiresAt': NOW - 30 * DAY + YEAR });
  });
});
