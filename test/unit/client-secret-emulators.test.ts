import { type LwaEmulator, startLwaEmulator } from '../emulators/lwa';
import { ROTATION_SCOPE, type SpApiEmulator, startSpApiEmulator } from '../emulators/spapi';

const CLIENT = { clientId: 'amzn1.application-oa2-client.test', clientSecret: 'test-client-secret-original' };
const DAY = 86_400_000;

let now: number;
let lwa: LwaEmulator;
let spApi: SpApiEmulator;

beforeEach(async () => {
  now = Date.parse('2026-11-24T20:00:00.000Z');
  lwa = await startLwaEmulator({ clients: [CLIENT], now: () => now });
  spApi = await startSpApiEmulator({ lwa, now: () => now });
});

afterEach(async () => {
  await spApi.stop();
  await lwa.stop();
});

async function grantless(
  clientSecret: string,
  scope = ROTATION_SCOPE,
): Promise<{ status: number; token?: string }> {
  const res = await fetch(`${lwa.url}/auth/o2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_id: CLIENT.clientId,
      client_secret: clientSecret,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  return { status: res.status, token: body.access_token };
}

const rotate = (token?: string) =>
  fetch(`${spApi.url}/applications/2023-11-30/clientSecret`, {
    method: 'POST',
    headers: token ? { 'x-amz-access-token': token } : {},
  });

describe('the LWA emulator with a rotated client secret', () => {
  it('accepts both secrets until the old one expires, then only the new one', async () => {
    // Act
    const rotation = lwa.rotateClientSecret({ oldSecretValidForMs: 7 * DAY });

    // Assess
    expect(rotation.newClientSecret).not.toBe(CLIENT.clientSecret);
    expect(rotation.oldClientSecretExpiresAt).toBe(now + 7 * DAY);
    expect((await grantless(CLIENT.clientSecret)).status).toBe(200);
    expect((await grantless(rotation.newClientSecret)).status).toBe(200);
    now += 7 * DAY;
    expect((await grantless(CLIENT.clientSecret)).status).toBe(401);
    expect((await grantless(rotation.newClientSecret)).status).toBe(200);
    expect(lwa.clientSecrets()).toEqual([CLIENT.clientSecret, rotation.newClientSecret]);
  });

  it('introspects a grantless token with its scope and client', async () => {
    const { token } = await grantless(CLIENT.clientSecret);

    expect(lwa.introspectAccessToken(token as string)).toEqual({
      active: true,
      clientId: CLIENT.clientId,
      scope: ROTATION_SCOPE,
    });
    now += 3600_000;
    expect(lwa.introspectAccessToken(token as string)).toEqual({ active: false });
  });
});

describe('the SP-API Application Management emulator', () => {
  it('answers 204 to a live rotation-scope token and rotates the LWA secret, once a minute', async () => {
    // Prepare
    const { token } = await grantless(CLIENT.clientSecret);

    // Act
    const first = await rotate(token);
    const second = await rotate(token);

    // Assess
    expect(first.status).toBe(204);
    expect(second.status).toBe(429);
    expect(spApi.rotationCount()).toBe(1);
    expect(lwa.clientSecrets()).toHaveLength(2);
    expect(lwa.clientSecretExpiries().previousExpiresAt).toBe(now + 7 * DAY);
  });

  it.each([
    ['no token', async () => undefined],
    [
      'a token of another scope',
      async () => (await grantless(CLIENT.clientSecret, 'sellingpartnerapi::notifications')).token,
    ],
    [
      'an expired token',
      async () => {
        const { token } = await grantless(CLIENT.clientSecret);
        now += 3600_000;
        return token;
      },
    ],
  ])('refuses %s with 403 and rotates nothing', async (_name, tokenFor) => {
    const res = await rotate(await tokenFor());

    expect(res.status).toBe(403);
    expect(spApi.rotationCount()).toBe(0);
    expect(lwa.clientSecrets()).toHaveLength(1);
  });
});
