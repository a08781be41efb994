import { type LwaEmulator, SAMPLE_SELLER_IDS, startLwaEmulator } from '../emulators/lwa';

const CALLBACK = 'http://localhost:3000/callback';
const APPLICATION_ID = 'amzn1.sp.solution.emulator-app';
const STATE = 'WB_FHLo2MyWItB93S6eF8X3NpBE1Sy8oWGiFfUvmaD4';

let emulator: LwaEmulator;

beforeEach(async () => {
  emulator = await startLwaEmulator({ consentCallbackUrl: CALLBACK });
});

afterEach(async () => {
  await emulator.stop();
});

function consentUrl(query: Record<string, string>): string {
  return `${emulator.url}/apps/authorize/consent?${new URLSearchParams(query)}`;
}

async function answer(form: Record<string, string>): Promise<Response> {
  return fetch(`${emulator.url}/apps/authorize/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

describe('the LWA emulator consent page', () => {
  it('shows the application, the sample sellers, and Authorize and Deny', async () => {
    // Act
    const response = await fetch(
      consentUrl({ application_id: APPLICATION_ID, state: STATE, version: 'beta' }),
    );
    const html = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain(`<code id="application-id">${APPLICATION_ID}</code>`);
    expect(html).toContain('draft');
    for (const sellerId of SAMPLE_SELLER_IDS) expect(html).toContain(`value="${sellerId}"`);
    expect(html).toContain(`<input type="hidden" name="state" value="${STATE}">`);
    expect(html).toContain('value="authorize">Authorize</button>');
    expect(html).toContain('value="deny">Deny</button>');
  });

  it('redirects an authorization to the callback with state, seller and a code the emulator exchanges', async () => {
    // Act
    const response = await answer({
      application_id: APPLICATION_ID,
      state: STATE,
      seller_id: 'A2LOCALSELLER02',
      decision: 'authorize',
    });
    const location = new URL(response.headers.get('location') ?? '');
    const code = location.searchParams.get('spapi_oauth_code') ?? '';
    const exchange = await fetch(`${emulator.url}/auth/o2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: 'amzn1.application-oa2-client.emulator',
        client_secret: 'emulator-client-secret',
      }).toString(),
    });

    // Assess
    expect(response.status).toBe(302);
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe(STATE);
    expect(location.searchParams.get('selling_partner_id')).toBe('A2LOCALSELLER02');
    expect(emulator.issuedSecrets()).toContain(code);
    expect(exchange.status).toBe(200);
  });

  it('prefers a typed seller id, and rejects a malformed one without issuing a code', async () => {
    // Act
    const typed = await answer({
      application_id: APPLICATION_ID,
      state: STATE,
      seller_id: 'A1LOCALSELLER01',
      other_seller_id: 'A9TYPEDSELLER9',
      decision: 'authorize',
    });
    const issuedBefore = emulator.issuedSecrets().length;
    const malformed = await answer({
      application_id: APPLICATION_ID,
      state: STATE,
      other_seller_id: 'not-a-seller',
      decision: 'authorize',
    });

    // Assess
    expect(new URL(typed.headers.get('location') ?? '').searchParams.get('selling_partner_id')).toBe(
      'A9TYPEDSELLER9',
    );
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('is not a selling partner id');
    expect(emulator.issuedSecrets()).toHaveLength(issuedBefore);
  });

  it('redirects a denial with error=access_denied and the state, and issues nothing', async () => {
    // Act
    const response = await answer({ application_id: APPLICATION_ID, state: STATE, decision: 'deny' });
    const location = new URL(response.headers.get('location') ?? '');

    // Assess
    expect(response.status).toBe(302);
    expect([...location.searchParams]).toEqual([
      ['error', 'access_denied'],
      ['state', STATE],
    ]);
    expect(emulator.issuedSecrets()).toEqual([]);
  });

  it('answers a missing or repeated parameter with 400', async () => {
    // Act
    const missing = await fetch(consentUrl({ application_id: APPLICATION_ID }));
    const repeated = await fetch(
      `${emulator.url}/apps/authorize/consent?application_id=${APPLICATION_ID}&state=a&state=b`,
    );

    // Assess
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('state is missing.');
    expect(repeated.status).toBe(400);
    expect(await repeated.text()).toContain('state is repeated.');
  });

  it('says how to set the callback URL until it is set, and takes it over the control API', async () => {
    // Prepare
    const bare = await startLwaEmulator();

    try {
      // Act
      const before = await fetch(
        `${bare.url}/apps/authorize/consent?application_id=${APPLICATION_ID}&state=${STATE}`,
      );
      const set = await fetch(`${bare.url}/__emulator/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ callbackUrl: CALLBACK }),
      });
      const after = await fetch(
        `${bare.url}/apps/authorize/consent?application_id=${APPLICATION_ID}&state=${STATE}`,
      );
      const badUrl = await fetch(`${bare.url}/__emulator/consent`, {
        method: 'POST',
        body: JSON.stringify({ callbackUrl: 'javascript:alert(1)' }),
      });

      // Assess
      expect(before.status).toBe(503);
      expect(await before.text()).toContain('POST /__emulator/consent');
      expect(await set.json()).toEqual({ callbackUrl: CALLBACK, sampleSellerIds: [...SAMPLE_SELLER_IDS] });
      expect(after.status).toBe(200);
      expect(badUrl.status).toBe(400);
    } finally {
      await bare.stop();
    }
  });
});
