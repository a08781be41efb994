import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { captureLifecycleEvents, type EventCapture, type ReceivedEvent } from '../../support/event-capture';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { AuthTestBed, expectNoSecretsLeaked, locationOf, newSellerId } from '../auth/auth-test-bed';

// The callback handler, loaded as Lambda loads it with EVENT_BUS_NAME set, publishing to a bus in
// moto whose rule routes our source to an SQS queue.

const UK_CONFIRM = 'https://sellercentral.amazon.co.uk/apps/authorize/confirm/amzn1.sp.solution.emulator-app';
const YEAR_S = 365 * 86_400;

let logs: LogCapture;
let bus: EventCapture;
let bed: AuthTestBed;
let received: ReceivedEvent[] = [];

beforeAll(async () => {
  logs = captureLogs();
  bus = await captureLifecycleEvents();
  bed = await AuthTestBed.start({ env: { EVENT_BUS_NAME: bus.eventBusName } });
});

afterAll(async () => {
  logs.restore();
  await bed.stop();
});

async function eventsFor(sellerId: string): Promise<ReceivedEvent[]> {
  received = [...received, ...(await bus.drain())];
  return received.filter((event) => event.detail.sellerId === sellerId);
}

/** Seller Central's "Renew" (or "Authorize") button: /login, back to Seller Central, then /callback. */
async function renewThroughLogin(sellerId: string) {
  const login = await bed.login([
    ['amazon_callback_uri', UK_CONFIRM],
    ['amazon_state', 'amazon-state-renew'],
    ['selling_partner_id', sellerId],
  ]);
  expect(login.statusCode).toBe(302);
  const state = new URL(locationOf(login)).searchParams.get('state') ?? '';
  const code = bed.emulator.issueAuthorizationCode({ sellerId });
  return bed.callback([
    ['state', state],
    ['selling_partner_id', sellerId],
    ['spapi_oauth_code', code],
  ]);
}

const iso = (s: number) => new Date(s * 1000).toISOString();

describe('callback lifecycle events on EventBridge (moto bus → rule → SQS)', () => {
  it('sends "Seller authorized" for the first authorization of a seller and region', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query } = await bed.consentedCallback(sellerId);

    // Act
    const response = await bed.callback(query);

    // Assess
    expect(response.statusCode).toBe(200);
    const item = await bed.sellerItem(sellerId, 'EU');
    expect(item?.authorizationExpiresAt).toBe((item?.authorizedAt as number) + YEAR_S);
    const events = await eventsFor(sellerId);
    expect(events.map((e) => [e.source, e['detail-type']])).toEqual([
      ['lwa-token-service', 'Seller authorized'],
    ]);
    expect(events[0]?.detail).toEqual({
      sellerId,
      region: 'EU',
      kind: 'seller',
      status: 'ACTIVE',
      authorizedAt: iso(item?.authorizedAt as number),
      authorizationExpiresAt: iso(item?.authorizationExpiresAt as number),
    });
  });

  it('treats Seller Central’s "Renew" (/login then /callback) as a re-authorization of the same seller', async () => {
    // Prepare: a seller authorized a year ago, whose authorization has run out and who was
    // already told (the 1-day notice) and marked REAUTH_REQUIRED
    const sellerId = newSellerId();
    const first = await bed.callback((await bed.consentedCallback(sellerId)).query);
    expect(first.statusCode).toBe(200);
    const yearAgo = Math.floor(Date.now() / 1000) - YEAR_S - 3600;
    await bed.deployment.documentClient.send(
      new UpdateCommand({
        TableName: bed.deployment.sellerTableName,
        Key: { sellerId, region: 'EU' },
        UpdateExpression:
          'SET authorizedAt = :at, authorizationExpiresAt = :exp, expiryNoticeDays = :one, #status = :reauth, lastError = :why REMOVE nextRefreshAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':at': yearAgo,
          ':exp': yearAgo + YEAR_S,
          ':one': 1,
          ':reauth': 'REAUTH_REQUIRED',
          ':why': 'authorization_expired',
        },
      }),
    );

    // Act
    const response = await renewThroughLogin(sellerId);

    // Assess: back in service with a new year, and a new refresh token stored
    expect(response.statusCode).toBe(200);
    const item = await bed.sellerItem(sellerId, 'EU');
    expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
    expect(item?.lastError).toBeUndefined();
    expect(item?.expiryNoticeDays).toBeUndefined();
    expect(item?.nextRefreshAt).toEqual(expect.any(Number));
    expect(item?.authorizedAt as number).toBeGreaterThan(yearAgo + YEAR_S);
    expect(item?.authorizationExpiresAt).toBe((item?.authorizedAt as number) + YEAR_S);
    const secret = await bed.deployment.secretsManager.send(
      new GetSecretValueCommand({ SecretId: bed.secretName('EU', sellerId) }),
    );
    expect(JSON.parse(secret.SecretString ?? '{}').refreshToken).toBe(
      bed.emulator.currentRefreshToken(sellerId),
    );
    const events = await eventsFor(sellerId);
    expect(events.map((e) => e['detail-type'])).toEqual(['Seller authorized', 'Seller reauthorized']);
    expect(events[1]?.detail).toEqual({
      sellerId,
      region: 'EU',
      kind: 'seller',
      status: 'ACTIVE',
      authorizedAt: iso(item?.authorizedAt as number),
      authorizationExpiresAt: iso(item?.authorizationExpiresAt as number),
      previousAuthorizedAt: iso(yearAgo),
    });
  });

  it('answers the seller 200 even when the event bus does not exist; the event is logged as dropped', async () => {
    // Prepare: the same deployment, its callback configured with a bus that is not there
    const broken = await AuthTestBed.start({ env: { EVENT_BUS_NAME: 'no-such-bus' } });
    try {
      const sellerId = newSellerId();
      const { query } = await broken.consentedCallback(sellerId);

      // Act
      const response = await broken.callback(query);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(await broken.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
      expect(
        logs.lines.some(
          (l) => l.includes('Could not publish a lifecycle event') && l.includes('Seller authorized'),
        ),
      ).toBe(true);
    } finally {
      await broken.stop();
    }
  });

  it('puts no code, token or secret in any event, log line or response', async () => {
    // Assess
    const everything = [...received, ...(await bus.drain())];
    expect(everything.length).toBeGreaterThanOrEqual(3);
    const text = JSON.stringify(everything);
    const secrets = [...bed.emulator.issuedSecrets(), ...bed.clientSecrets];
    expect(secrets.filter((s) => s.length >= 8 && text.includes(s))).toEqual([]);
    expectNoSecretsLeaked([bed], logs, 'Seller authorized');
  });
});
