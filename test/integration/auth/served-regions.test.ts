import { captureLogs, type LogCapture } from '../../support/log-capture';
import { AuthTestBed, expectNoSecretsLeaked, expectRejected, locationOf, newSellerId } from './auth-test-bed';

// A per-region stack refreshes only its own SP-API regions (`-c deployments=…`). A seller it
// authorized for any other region would get a token secret that no refresher ever renews, so
// every route refuses those regions before it writes a state, calls LWA or stores a token. The
// construct sets SERVED_REGIONS to the stack's refresh regions; here, a stack that serves NA only.

type Query = Array<[string, string]>;

const NOT_SERVED = 'This deployment authorizes sellers of NA only.';

let logs: LogCapture;
let bed: AuthTestBed;
let everyRegionBed: AuthTestBed;

beforeAll(async () => {
  logs = captureLogs();
  [bed, everyRegionBed] = await Promise.all([
    AuthTestBed.start({ env: { SERVED_REGIONS: 'NA' } }),
    AuthTestBed.start(),
  ]);
});

afterAll(async () => {
  logs.restore();
  await Promise.all([bed, everyRegionBed].map((b) => b?.stop()));
});

async function writesNow() {
  return {
    ...(await bed.snapshot()),
    states: (await bed.scan(bed.deployment.stateTableName)).length,
    lwaCalls: bed.emulator.callCount(),
  };
}

describe('a deployment that serves only NA', () => {
  it.each<[string, Query]>([
    ['region=EU', [['region', 'EU']]],
    ['region=FE', [['region', 'FE']]],
    ['marketplace=DE (an EU marketplace)', [['marketplace', 'DE']]],
    ['marketplace=JP (an FE marketplace)', [['marketplace', 'JP']]],
  ])('GET /authorize?%s answers 400 naming the served regions and creates no state', async (_, query) => {
    // Prepare
    const before = await writesNow();

    // Act
    const response = await bed.authorize(query);

    // Assess
    expectRejected(response, 400, NOT_SERVED);
    expect(await writesNow()).toEqual(before);
  });

  it('GET /authorize?region=NA still starts an authorization', async () => {
    // Act
    const response = await bed.authorize([['region', 'NA']]);

    // Assess
    expect(response.statusCode).toBe(302);
    expect(new URL(locationOf(response)).searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('GET /authorize names this deployment’s own callback as redirect_uri, since it is one of several', async () => {
    // Amazon sends the seller to the app's first registered Redirect URI unless the consent URL
    // names another; with one stack per region that first URI is another stack's callback, whose
    // state table has never seen this state.

    // Act
    const response = await bed.authorize([['region', 'NA']], {
      host: 'na1234.execute-api.us-east-1.amazonaws.com',
    });

    // Assess
    expect(new URL(locationOf(response)).searchParams.get('redirect_uri')).toBe(
      'https://na1234.execute-api.us-east-1.amazonaws.com/prod/callback',
    );
  });

  it('GET /authorize on a deployment that serves every region leaves redirect_uri to the app registration', async () => {
    // Act
    const response = await everyRegionBed.authorize([['region', 'EU']]);

    // Assess
    expect(response.statusCode).toBe(302);
    expect(new URL(locationOf(response)).searchParams.has('redirect_uri')).toBe(false);
  });

  it('GET /login from a European Seller Central host answers 400 and creates no state', async () => {
    // Prepare
    const before = await writesNow();

    // Act
    const response = await bed.login([
      [
        'amazon_callback_uri',
        'https://sellercentral.amazon.co.uk/apps/authorize/confirm/amzn1.sp.solution.emulator-app',
      ],
      ['amazon_state', 'amazon-state-opaque-123'],
      ['selling_partner_id', newSellerId()],
    ]);

    // Assess
    expectRejected(response, 400, NOT_SERVED);
    expect(await writesNow()).toEqual(before);
  });

  it('GET /callback for a state bound to EU exchanges no code and stores nothing', async () => {
    // Prepare: a state for EU, as a deployment that served EU before a configuration change made it
    const state = await bed.stateCreatedMinutesAgo(1, 'EU');
    const sellerId = newSellerId();
    const code = bed.emulator.issueAuthorizationCode({ sellerId });
    const before = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expectRejected(response, 400, NOT_SERVED);
    const after = await writesNow();
    expect({ ...after, states: before.states }).toEqual(before);
    expect(await bed.tokenSecretNames()).not.toContain(bed.secretName('EU', sellerId));
  });

  it('GET /callback whose URL names region=EU answers 400 before it spends the state', async () => {
    // Prepare
    const state = await bed.newState('NA');
    const sellerId = newSellerId();
    const code = bed.emulator.issueAuthorizationCode({ sellerId });
    const before = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
      ['region', 'EU'],
    ]);

    // Assess
    expectRejected(response, 400, NOT_SERVED);
    expect(await writesNow()).toEqual(before);
  });

  it('completes an NA authorization end to end', async () => {
    // Prepare
    const state = await bed.newState('NA');
    const sellerId = newSellerId();
    const code = bed.emulator.issueAuthorizationCode({ sellerId });

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await bed.sellerItem(sellerId, 'NA')).toMatchObject({ status: 'ACTIVE' });
  });

  it('leaks no code, token or client secret in any log line or response', () => {
    expectNoSecretsLeaked([bed, everyRegionBed], logs, 'Region not served');
  });
});
