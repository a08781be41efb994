import { StateStore } from '../../../lambda/auth/state-store';
import { MARKETPLACES, marketplacesFor } from '../../../lambda/shared/marketplaces';
import { EMULATOR_APPLICATION_ID } from '../../support/emulated-deployment';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import {
  AuthTestBed,
  expectNoSecretsLeaked,
  expectRejected,
  expectSecurityHeaders,
  locationOf,
  newSellerId,
} from './auth-test-bed';

// `/authorize?marketplace=…[&account=vendor]` through the real handler, against moto and the LWA
// emulator: every marketplace of Amazon's published lists, for sellers and for vendors.

let logs: LogCapture;
let bed: AuthTestBed;

beforeAll(async () => {
  logs = captureLogs();
  bed = await AuthTestBed.start();
});

afterAll(async () => {
  logs.restore();
  await bed?.stop();
});

/** The region the state in a consent URL is bound to, read by consuming it as /callback would. */
async function regionOfState(location: URL): Promise<string | undefined> {
  const states = new StateStore(bed.deployment.documentClient, bed.deployment.stateTableName, Date.now);
  const consumed = await states.consume(location.searchParams.get('state') ?? '');
  return consumed.ok ? consumed.state.region : undefined;
}

const sellerRows = MARKETPLACES.map((m) => [m.countryCode, m.id, m.region, m.sellerCentralHost] as const);
const vendorRows = marketplacesFor('vendor').map(
  (m) => [m.countryCode, m.id, m.region, m.vendorCentralHost as string] as const,
);

describe('GET /authorize?marketplace=', () => {
  it.each(sellerRows)(
    '%s (%s) sends a seller to its Seller Central, state bound to %s',
    async (code, id, region, host) => {
      for (const marketplace of [code, id]) {
        // Act
        const response = await bed.authorize([['marketplace', marketplace]]);

        // Assess
        expect(response.statusCode).toBe(302);
        const location = new URL(locationOf(response));
        expect(`${location.origin}${location.pathname}`).toBe(`https://${host}/apps/authorize/consent`);
        expect(location.searchParams.get('application_id')).toBe(EMULATOR_APPLICATION_ID);
        expect(await regionOfState(location)).toBe(region);
      }
    },
  );

  it.each(vendorRows)(
    '%s (%s) with account=vendor sends a vendor to its Vendor Central, state bound to %s',
    async (code, _id, region, host) => {
      // Act
      const response = await bed.authorize([
        ['marketplace', code],
        ['account', 'vendor'],
      ]);

      // Assess
      expect(response.statusCode).toBe(302);
      const location = new URL(locationOf(response));
      expect(`${location.origin}${location.pathname}`).toBe(`https://${host}/apps/authorize/consent`);
      expect(await regionOfState(location)).toBe(region);
    },
  );

  it('completes a Brazilian seller’s authorization in NA, through the state the marketplace link issued', async () => {
    // Prepare
    const sellerId = newSellerId();
    const response = await bed.authorize([['marketplace', 'BR']]);
    const state = new URL(locationOf(response)).searchParams.get('state') ?? '';

    // Act
    const callback = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', bed.emulator.issueAuthorizationCode({ sellerId })],
    ]);

    // Assess
    expect(callback.statusCode).toBe(200);
    expect(await bed.sellerItem(sellerId, 'NA')).toMatchObject({ status: 'ACTIVE' });
    expect(await bed.tokenSecretNames()).toContain(bed.secretName('NA', sellerId));
  });

  it('answers an unknown marketplace with a 400 page listing the valid ones, and stores no state', async () => {
    // Prepare
    const statesBefore = (await bed.scan(bed.deployment.stateTableName)).length;

    // Act
    const response = await bed.authorize([['marketplace', 'XX']]);
    const vendorResponse = await bed.authorize([
      ['marketplace', 'IE'],
      ['account', 'vendor'],
    ]);

    // Assess
    expectRejected(response, 400, 'Valid marketplace parameters');
    for (const market of MARKETPLACES)
      expect(response.body).toContain(`${market.countryCode} (${market.id})`);
    expectRejected(vendorResponse, 400, 'no Vendor Central consent page');
    expect(vendorResponse.body).not.toContain('IE (A28R8C7NBKEWEA)');
    expect(vendorResponse.body).toContain('DE (A1PA6795UKMFR9)');
    expect((await bed.scan(bed.deployment.stateTableName)).length).toBe(statesBefore);
  });

  it('rejects a marketplace outside region=, and a vendor link without a marketplace', async () => {
    expectRejected(
      await bed.authorize([
        ['region', 'NA'],
        ['marketplace', 'JP'],
      ]),
      400,
      'outside its region',
    );
    expectRejected(
      await bed.authorize([
        ['region', 'NA'],
        ['account', 'vendor'],
      ]),
      400,
      'The marketplace parameter is missing.',
    );
    expectRejected(await bed.authorize([['account', 'buyer']]), 400, 'The account parameter is malformed.');
  });

  it('keeps region= alone working as before', async () => {
    const response = await bed.authorize([['region', 'FE']]);
    expect(response.statusCode).toBe(302);
    expectSecurityHeaders(response);
    const location = new URL(locationOf(response));
    expect(location.host).toBe('sellercentral.amazon.co.jp');
    expect(await regionOfState(location)).toBe('FE');
  });
});

describe('GET /login from the hosts the marketplace table added', () => {
  it.each([
    ['sellercentral.amazon.ie', 'EU'],
    ['vendorcentral.amazon.me', 'EU'],
    ['www.vendorcentral.in', 'EU'],
    ['vendorcentral.amazon.com.br', 'NA'],
    ['vendorcentral.amazon.com.au', 'FE'],
  ])('accepts %s and binds the state to %s', async (host, region) => {
    // Act
    const response = await bed.login([
      ['amazon_callback_uri', `https://${host}/apps/authorize/confirm/${EMULATOR_APPLICATION_ID}`],
      ['amazon_state', 'amazon-state-opaque'],
    ]);

    // Assess
    expect(response.statusCode).toBe(302);
    const location = new URL(locationOf(response));
    expect(location.host).toBe(host);
    expect(await regionOfState(location)).toBe(region);
  });
});

describe('leaks', () => {
  it('no code, token or client secret in any log line or response', () => {
    expectNoSecretsLeaked([bed], logs, 'Authorization started');
  });
});
