import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Region } from '../../../lambda/shared/regions';
import { captureLifecycleEvents, type EventCapture, type ReceivedEvent } from '../../support/event-capture';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

// The refresher's lifecycle events, published to a bus in moto and routed by a rule to an SQS
// queue: what a subscriber in the account would receive.

const AUTHORIZE_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/authorize';
const DAY_MS = 86_400_000;

let logs: LogCapture;
let harness: RefreshHarness;
let bus: EventCapture;
let received: ReceivedEvent[] = [];

beforeAll(async () => {
  logs = captureLogs();
  bus = await captureLifecycleEvents();
  harness = await startRefreshHarness({
    defaultEmulator: { expiresIn: 3600, rotation: 'every-refresh' },
    env: { EVENT_BUS_NAME: bus.eventBusName, AUTHORIZE_URL },
  });
});

afterAll(async () => {
  logs.restore();
  await harness.stop();
});

/** Everything delivered so far (kept across calls), for one seller. */
async function eventsFor(sellerId: string): Promise<ReceivedEvent[]> {
  received = [...received, ...(await bus.drain())];
  return received.filter((event) => event.detail.sellerId === sellerId);
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const iso = (s: number) => new Date(s * 1000).toISOString();

async function authorizedSeller(tag: string): Promise<{ sellerId: string; region: Region }> {
  const [sellerId] = sellerIds(1, tag) as [string];
  const seller = { sellerId, region: 'NA' as Region };
  await harness.authorize([seller]);
  return seller;
}

/** Moves the simulated clock to when the seller is next due. */
async function untilDue(seller: { sellerId: string; region: Region }): Promise<void> {
  const item = await harness.readItem(seller.sellerId, seller.region);
  harness.clock.advanceTo((item?.nextRefreshAt as number) * 1000);
}

async function setItem(seller: { sellerId: string; region: Region }, values: Record<string, number>) {
  const names = Object.keys(values);
  await harness.deployment.documentClient.send(
    new UpdateCommand({
      TableName: harness.deployment.sellerTableName,
      Key: seller,
      UpdateExpression: `SET ${names.map((n, i) => `${n} = :v${i}`).join(', ')}`,
      ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
    }),
  );
}

describe('refresher lifecycle events on EventBridge (moto bus → rule → SQS)', () => {
  it('announces a first authorization as "Seller authorized", with its 365-day expiry', async () => {
    // Act
    const seller = await authorizedSeller('EVA');

    // Assess
    const item = await harness.readItem(seller.sellerId, seller.region);
    expect(item?.authorizationExpiresAt).toBe((item?.authorizedAt as number) + 365 * 86_400);
    const events = await eventsFor(seller.sellerId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'lwa-token-service',
      'detail-type': 'Seller authorized',
      detail: {
        sellerId: seller.sellerId,
        region: 'NA',
        kind: 'seller',
        status: 'ACTIVE',
        authorizedAt: iso(item?.authorizedAt as number),
        authorizationExpiresAt: iso(item?.authorizationExpiresAt as number),
      },
    });
  });

  it('sends "Seller reauthorization required" with reason invalid_grant when LWA revoked the token', async () => {
    // Prepare
    const seller = await authorizedSeller('EVR');
    harness.lwa.NA.revokeRefreshTokens(seller.sellerId);
    await untilDue(seller);

    // Act
    await harness.run();

    // Assess
    const events = (await eventsFor(seller.sellerId)).filter(
      (e) => e['detail-type'] === 'Seller reauthorization required',
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({
      sellerId: seller.sellerId,
      region: 'NA',
      reason: 'invalid_grant',
    });
  });

  it('after the 365-day expiry, a rejected refresh token is REAUTH_REQUIRED with reason authorization_expired', async () => {
    // Prepare: the authorization ran out an hour ago, and LWA now rejects the refresh token
    const seller = await authorizedSeller('EVX');
    await setItem(seller, { authorizationExpiresAt: seconds(harness.clock.now()) - 3600 });
    harness.lwa.NA.revokeRefreshTokens(seller.sellerId);
    await untilDue(seller);

    // Act
    await harness.run();

    // Assess
    expect(await harness.readItem(seller.sellerId, seller.region)).toMatchObject({
      status: 'REAUTH_REQUIRED',
      lastError: 'authorization_expired',
    });
    const events = (await eventsFor(seller.sellerId)).filter(
      (e) => e['detail-type'] === 'Seller reauthorization required',
    );
    expect(events.map((e) => e.detail.reason)).toEqual(['authorization_expired']);
  });

  it('sends "Seller authorization expiring" at 7 and then 1 day(s) before, once each, with the authorize link', async () => {
    // Prepare: an authorization that runs out in 6 days and 12 hours (the 30-day notice was missed)
    const seller = await authorizedSeller('EVE');
    const expiresAt = seconds(harness.clock.now() + 6.5 * DAY_MS);
    await setItem(seller, { authorizationExpiresAt: expiresAt });

    // Act: every refresh for the next six days, one run each time the seller is due
    const end = harness.clock.now() + 6 * DAY_MS;
    let runs = 0;
    while (harness.clock.now() < end) {
      await untilDue(seller);
      await harness.run();
      runs++;
    }

    // Assess
    const expiring = (await eventsFor(seller.sellerId)).filter(
      (e) => e['detail-type'] === 'Seller authorization expiring',
    );
    expect(runs).toBeGreaterThan(100);
    expect(expiring.map((e) => e.detail)).toEqual([
      {
        sellerId: seller.sellerId,
        region: 'NA',
        kind: 'seller',
        daysBefore: 7,
        authorizationExpiresAt: iso(expiresAt),
        authorizeUrl: `${AUTHORIZE_URL}?region=NA`,
      },
      {
        sellerId: seller.sellerId,
        region: 'NA',
        kind: 'seller',
        daysBefore: 1,
        authorizationExpiresAt: iso(expiresAt),
        authorizeUrl: `${AUTHORIZE_URL}?region=NA`,
      },
    ]);
    expect(await harness.readItem(seller.sellerId, seller.region)).toMatchObject({ expiryNoticeDays: 1 });
  }, 300_000);

  it('backfills authorizationExpiresAt on an item that predates it, from authorizedAt', async () => {
    // Prepare: an item as older versions wrote it, authorized 100 days ago
    const seller = await authorizedSeller('EVB');
    const authorizedAt = seconds(harness.clock.now() - 100 * DAY_MS);
    await harness.deployment.documentClient.send(
      new UpdateCommand({
        TableName: harness.deployment.sellerTableName,
        Key: seller,
        UpdateExpression: 'SET authorizedAt = :at REMOVE authorizationExpiresAt',
        ExpressionAttributeValues: { ':at': authorizedAt },
      }),
    );
    await untilDue(seller);

    // Act
    const summary = await harness.run();

    // Assess
    expect(summary.authorizationsBackfilled).toBeGreaterThanOrEqual(1);
    expect((await harness.readItem(seller.sellerId, seller.region))?.authorizationExpiresAt).toBe(
      authorizedAt + 365 * 86_400,
    );
  });

  it('sends "Token refresh failing" once when the token expires unrefreshed, and "recovered" on the next success', async () => {
    // Prepare: LWA fails every attempt for this seller, and the run comes after the token expired
    const seller = await authorizedSeller('EVF');
    const authorized = await harness.readItem(seller.sellerId, seller.region);
    const tokenExpiry = authorized?.accessTokenExpiresAt as number;
    harness.lwa.NA.injectFault({
      kind: 'status',
      status: 500,
      subject: seller.sellerId,
      grantType: 'refresh_token',
      times: 6,
    });
    harness.clock.advanceTo((tokenExpiry + 60) * 1000);

    // Act: two failing runs, then LWA recovers
    const first = await harness.run();
    await untilDue(seller);
    const second = await harness.run();
    const degraded = await harness.readItem(seller.sellerId, seller.region);
    await untilDue(seller);
    const third = await harness.run();

    // Assess
    expect([first.degraded, second.degraded, third.refreshed]).toEqual([1, 1, 1]);
    expect(first.tokensExpired).toBeGreaterThanOrEqual(1);
    expect(degraded).toMatchObject({ status: 'DEGRADED', failureCount: 2 });
    const events = (await eventsFor(seller.sellerId)).filter((e) =>
      e['detail-type'].startsWith('Token refresh'),
    );
    expect(events.map((e) => e['detail-type'])).toEqual(['Token refresh failing', 'Token refresh recovered']);
    expect(events[0]?.detail).toMatchObject({
      sellerId: seller.sellerId,
      region: 'NA',
      kind: 'seller',
      reason: 'server_error',
      failureCount: 1,
      accessTokenExpiresAt: iso(tokenExpiry),
      failingSince: iso(degraded?.refreshFailingSince as number),
    });
    expect(events[1]?.detail).toMatchObject({
      sellerId: seller.sellerId,
      failingSince: iso(degraded?.refreshFailingSince as number),
    });
    const item = await harness.readItem(seller.sellerId, seller.region);
    expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
    expect(item?.refreshFailingSince).toBeUndefined();
  });

  it('a PutEvents failure is counted and logged, and never marks the seller DEGRADED', async () => {
    // Prepare: the refresher publishes to a bus that does not exist; one seller needs reauth,
    // one recovers from failing
    const [revoked, recovering] = [await authorizedSeller('EVP'), await authorizedSeller('EVQ')];
    harness.lwa.NA.revokeRefreshTokens(revoked.sellerId);
    await setItem(recovering, { refreshFailingSince: seconds(harness.clock.now()) });
    await untilDue(revoked);
    await untilDue(recovering);
    let dropped = 0;

    // Act
    const summary = await harness.run({
      config: { eventBusName: 'no-such-bus' },
      runtime: { onEventDropped: () => dropped++ },
    });

    // Assess
    expect(summary).toMatchObject({ reauthRequired: 1, degraded: 0 });
    expect(dropped).toBe(2);
    expect(await harness.readItem(revoked.sellerId, revoked.region)).toMatchObject({
      status: 'REAUTH_REQUIRED',
      lastError: 'invalid_grant',
    });
    expect(await harness.readItem(recovering.sellerId, recovering.region)).toMatchObject({
      status: 'ACTIVE',
      failureCount: 0,
    });
    const warnings = logs.lines.filter((l) => l.includes('Could not publish a lifecycle event'));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
  });

  it('never puts a token, code or secret in an event or a log line', async () => {
    // Assess (over everything this file published and logged)
    const everything = [...received, ...(await bus.drain())];
    expect(everything.length).toBeGreaterThan(5);
    const text = JSON.stringify(everything);
    const leaks = harness.issuedSecrets().filter((secret) => secret.length >= 8 && text.includes(secret));
    expect(leaks).toEqual([]);
    expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
  });
});
