import { createHash } from 'node:crypto';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import {
  AuthTestBed,
  expectNoSecretsLeaked,
  expectRejected,
  expectSecurityHeaders,
  locationOf,
  newSellerId,
} from './auth-test-bed';

// The Seller Central-initiated flow: Seller Central calls /login, we send the seller back to its
// amazon_callback_uri with our state, and Seller Central then calls /callback.

type Query = Array<[string, string]>;

const UK_CONFIRM = 'https://sellercentral.amazon.co.uk/apps/authorize/confirm/amzn1.sp.solution.emulator-app';
const API_HOST = 'abc123.execute-api.us-east-1.amazonaws.com';

let logs: LogCapture;
let bed: AuthTestBed;
let draftBed: AuthTestBed;

beforeAll(async () => {
  logs = captureLogs();
  [bed, draftBed] = await Promise.all([AuthTestBed.start(), AuthTestBed.start({ draft: true })]);
});

afterAll(async () => {
  logs.restore();
  await Promise.all([bed, draftBed].map((b) => b?.stop()));
});

function loginQuery(sellerId: string, callbackUri = UK_CONFIRM): Query {
  return [
    ['amazon_callback_uri', callbackUri],
    ['amazon_state', 'amazon-state-opaque-123'],
    ['selling_partner_id', sellerId],
  ];
}

async function statesInTable(): Promise<number> {
  return (await bed.scan(bed.deployment.stateTableName)).length;
}

async function expectNothingWritten(was: { secrets: string[]; sellers: unknown[]; states: number }) {
  const now = await bed.snapshot();
  expect(now).toEqual({ secrets: was.secrets, sellers: was.sellers });
  expect(await statesInTable()).toBe(was.states);
}

async function writesNow() {
  return { ...(await bed.snapshot()), states: await statesInTable() };
}

describe('GET /login from an allow-listed Seller Central host', () => {
  it('redirects back to amazon_callback_uri with redirect_uri, amazon_state and a state', async () => {
    // Prepare
    const sellerId = newSellerId();

    // Act
    const response = await bed.login(loginQuery(sellerId));

    // Assess
    expect(response.statusCode).toBe(302);
    expectSecurityHeaders(response);
    const location = new URL(locationOf(response));
    expect(`${location.origin}${location.pathname}`).toBe(UK_CONFIRM);
    expect(location.searchParams.get('redirect_uri')).toBe(`https://${API_HOST}/prod/callback`);
    expect(location.searchParams.get('amazon_state')).toBe('amazon-state-opaque-123');
    expect(location.searchParams.get('version')).toBeNull();
    const state = location.searchParams.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const items = await bed.scan(bed.deployment.stateTableName);
    const stored = items.find(
      (i) => i.pk === `state#${createHash('sha256').update(state).digest('base64url')}`,
    );
    expect(stored).toMatchObject({ region: 'EU', sellerId });
  });

  it('derives redirect_uri from the stage the request came through', async () => {
    // Act
    const response = await bed.login(loginQuery(newSellerId()), {
      host: 'xyz789.execute-api.eu-west-1.amazonaws.com',
      stage: 'v2',
    });

    // Assess
    const location = new URL(locationOf(response));
    expect(location.searchParams.get('redirect_uri')).toBe(
      'https://xyz789.execute-api.eu-west-1.amazonaws.com/v2/callback',
    );
  });

  it('adds version=beta for a draft application', async () => {
    // Act
    const response = await draftBed.login(loginQuery(newSellerId()));

    // Assess
    expect(response.statusCode).toBe(302);
    expect(new URL(locationOf(response)).searchParams.get('version')).toBe('beta');
  });

  it('then accepts the callback for the same seller, in the region of the Seller Central host', async () => {
    // Prepare
    const sellerId = newSellerId();
    const login = await bed.login(loginQuery(sellerId));
    const state = new URL(locationOf(login)).searchParams.get('state') ?? '';
    const code = bed.emulator.issueAuthorizationCode({ sellerId });

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`Seller ${sellerId} (EU) has authorized this application`);
    expect(await bed.tokenSecretNames()).toContain(bed.secretName('EU', sellerId));
    expect(await bed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
  });

  it('binds a Japanese Seller Central host to FE', async () => {
    // Prepare
    const sellerId = newSellerId();
    const login = await bed.login(
      loginQuery(
        sellerId,
        'https://sellercentral.amazon.co.jp/apps/authorize/confirm/amzn1.sp.solution.emulator-app',
      ),
    );
    const state = new URL(locationOf(login)).searchParams.get('state') ?? '';
    const code = bed.emulator.issueAuthorizationCode({ sellerId });

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await bed.tokenSecretNames()).toContain(bed.secretName('FE', sellerId));
  });

  it('rejects the callback for a different seller with that state: 400, nothing written (the state table included), LWA not called', async () => {
    // Prepare
    const sellerId = newSellerId();
    const otherSeller = newSellerId();
    const login = await bed.login(loginQuery(sellerId));
    const state = new URL(locationOf(login)).searchParams.get('state') ?? '';
    const code = bed.emulator.issueAuthorizationCode({ sellerId: otherSeller });
    const was = await bed.snapshot();
    const statesBefore = await bed.stateItems();
    const lwaCalls = bed.emulator.callCount();

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', otherSeller],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expectRejected(response, 400, 'This authorization link was issued for another seller account.');
    expect(await bed.snapshot()).toEqual(was);
    expect(await bed.stateItems()).toEqual(statesBefore);
    expect(bed.emulator.callCount()).toBe(lwaCalls);
  });

  it('after refusing another seller, the same state still completes the named seller’s callback', async () => {
    // Prepare
    const sellerId = newSellerId();
    const otherSeller = newSellerId();
    const login = await bed.login(loginQuery(sellerId));
    const state = new URL(locationOf(login)).searchParams.get('state') ?? '';
    const refused = await bed.callback([
      ['state', state],
      ['selling_partner_id', otherSeller],
      ['spapi_oauth_code', bed.emulator.issueAuthorizationCode({ sellerId: otherSeller })],
    ]);

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', bed.emulator.issueAuthorizationCode({ sellerId })],
    ]);

    // Assess
    expectRejected(refused, 400, 'This authorization link was issued for another seller account.');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`Seller ${sellerId} (EU) has authorized this application`);
    expect(await bed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
    expect(await bed.sellerItem(otherSeller, 'EU')).toBeUndefined();
  });
});

describe('GET /login refuses to redirect anywhere else', () => {
  it.each([
    ['a host that is not on the allow-list', 'https://evil.example.com/apps/authorize/confirm/x'],
    ['plain http to an allow-listed host', 'http://sellercentral.amazon.co.uk/apps/authorize/confirm/x'],
    [
      'an allow-listed name as a subdomain of another host',
      'https://sellercentral.amazon.co.uk.evil.example.com/x',
    ],
    ['an allow-listed name as userinfo', 'https://sellercentral.amazon.co.uk@evil.example.com/x'],
    ['an allow-listed host on another port', 'https://sellercentral.amazon.co.uk:8443/x'],
    ['a javascript: URL', 'javascript:alert(document.domain)'],
    ['a relative URL', '/apps/authorize/confirm/x'],
  ])('%s: 400 and nothing written', async (_, callbackUri) => {
    // Prepare
    const was = await writesNow();

    // Act
    const response = await bed.login(loginQuery(newSellerId(), callbackUri));

    // Assess
    expectRejected(response, 400, 'The amazon_callback_uri parameter is malformed.');
    expect(response.headers).not.toHaveProperty('Location');
    await expectNothingWritten(was);
  });

  it.each([
    ['amazon_callback_uri', 'The amazon_callback_uri parameter is missing.'],
    ['amazon_state', 'The amazon_state parameter is missing.'],
  ])('without %s: 400 and nothing written', async (name, message) => {
    // Prepare
    const was = await writesNow();

    // Act
    const response = await bed.login(loginQuery(newSellerId()).filter(([key]) => key !== name));

    // Assess
    expectRejected(response, 400, message);
    await expectNothingWritten(was);
  });

  it('a duplicated amazon_callback_uri: 400 and nothing written', async () => {
    // Prepare
    const was = await writesNow();

    // Act
    const response = await bed.login([
      ...loginQuery(newSellerId()),
      ['amazon_callback_uri', 'https://evil.example.com/'],
    ]);

    // Assess
    expectRejected(response, 400, 'The amazon_callback_uri parameter is duplicated.');
    await expectNothingWritten(was);
  });

  it('a malformed selling_partner_id: 400 and nothing written', async () => {
    // Prepare
    const was = await writesNow();

    // Act
    const response = await bed.login(loginQuery('not-a-seller'));

    // Assess
    expectRejected(response, 400, 'The selling_partner_id parameter is malformed.');
    await expectNothingWritten(was);
  });
});

describe('secrets stay out of logs and responses', () => {
  it('never logged or answered a code, a token or a client secret', () => {
    expectNoSecretsLeaked([bed, draftBed], logs, 'Seller Central login started');
  });
});
