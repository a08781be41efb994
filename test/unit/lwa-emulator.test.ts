import { type LwaEmulator, type LwaEmulatorOptions, startLwaEmulator } from '../emulators/lwa';

const CLIENT = { clientId: 'amzn1.application-oa2-client.test', clientSecret: 'test-client-secret' };
const OTHER = { clientId: 'amzn1.application-oa2-client.other', clientSecret: 'other-secret' };
const CREDS = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
const OTHER_CREDS = { client_id: OTHER.clientId, client_secret: OTHER.clientSecret };
const REDIRECT = 'https://example.com/callback';
const MINUTE = 60_000;

interface Body {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
  user_code?: string;
  device_code?: string;
  verification_uri?: string;
  interval?: number;
}
interface Answer {
  status: number;
  headers: Headers;
  body: Body;
}

let now: number;
let emu: LwaEmulator;

async function start(opts: LwaEmulatorOptions = {}): Promise<LwaEmulator> {
  emu = await startLwaEmulator({ clients: [CLIENT, OTHER], now: () => now, ...opts });
  return emu;
}

async function post(path: string, params: Record<string, string>, init: RequestInit = {}): Promise<Answer> {
  // A string body with an explicit type: jest's sandbox URLSearchParams is not the one fetch recognises.
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    ...init,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
}

const token = (params: Record<string, string>, init?: RequestInit) => post('/auth/o2/token', params, init);

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emu.url}/__emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

function exchange(code: string, extra: Record<string, string> = {}): Promise<Answer> {
  return token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...CREDS, ...extra });
}

function refresh(refreshToken: string): Promise<Answer> {
  return token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...CREDS });
}

/** Authorizes a seller and returns its first refresh token. */
async function authorize(sellerId: string): Promise<string> {
  const { body } = await exchange(emu.issueAuthorizationCode({ sellerId, clientId: CLIENT.clientId }));
  if (!body.refresh_token) throw new Error('no refresh token');
  return body.refresh_token;
}

async function codepair(scope = 'profile'): Promise<Body> {
  const { status, body } = await post('/auth/o2/create/codepair', {
    response_type: 'device_code',
    client_id: CLIENT.clientId,
    scope,
  });
  expect(status).toBe(200);
  return body;
}

/** Yields to the event loop until `cond` holds; no wall-clock waiting. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition never held');
}

function pollDevice(pair: Body): Promise<Answer> {
  return token({
    grant_type: 'device_code',
    device_code: pair.device_code ?? '',
    user_code: pair.user_code ?? '',
    client_id: CLIENT.clientId,
  });
}

beforeEach(async () => {
  now = Date.parse('2026-11-24T20:00:00Z');
  await start();
});

afterEach(async () => {
  await emu.stop();
});

describe('authorization_code grant', () => {
  it('exchanges a code for an access and a refresh token', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'A2EUQ1WTGCTBG2', clientId: CLIENT.clientId });

    // Act
    const { status, headers, body } = await exchange(code);

    // Assess
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      access_token: expect.stringMatching(/^Atza\|[A-Za-z0-9_-]{64,}$/),
      refresh_token: expect.stringMatching(/^Atzr\|[A-Za-z0-9_-]{64,}$/),
      token_type: 'bearer',
      expires_in: 3600,
    });
    expect(code).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(emu.isAccessTokenValid(body.access_token ?? '')).toBe(true);
    expect(emu.isRefreshTokenValid(body.refresh_token ?? '')).toBe(true);
    expect(emu.currentRefreshToken('A2EUQ1WTGCTBG2')).toBe(body.refresh_token);
  });

  it('uses the first configured client when none is given', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'S1' });

    // Act
    const { status } = await exchange(code);

    // Assess
    expect(status).toBe(200);
  });

  it('accepts a code only once', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'S1' });
    const first = await exchange(code);

    // Act
    const second = await exchange(code);

    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(emu.isAccessTokenValid(first.body.access_token ?? '')).toBe(true);
  });

  it('accepts a code just before 5 minutes and rejects it at 5 minutes', async () => {
    // Prepare
    const early = emu.issueAuthorizationCode({ sellerId: 'S1' });
    const late = emu.issueAuthorizationCode({ sellerId: 'S2' });

    // Act
    now += 5 * MINUTE - 1;
    const accepted = await exchange(early);
    now += 1;
    const rejected = await exchange(late);

    // Assess
    expect(accepted.status).toBe(200);
    expect(rejected.status).toBe(400);
    expect(rejected.body).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringContaining('expired'),
    });
  });

  it('rejects a code issued to another client', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'S1', clientId: OTHER.clientId });

    // Act
    const { status, body } = await exchange(code);

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('returns no refresh token when the client secret is not sent', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'S1' });

    // Act
    const { status, body } = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: CLIENT.clientId,
    });

    // Assess
    expect(status).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    expect(emu.isAccessTokenValid(body.access_token ?? '')).toBe(true);
    expect(emu.currentRefreshToken('S1')).toBeUndefined();
  });

  it('requires a redirect_uri', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'S1' });

    // Act
    const { status, body } = await exchange(code, { redirect_uri: '' });

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('accepts a JSON body', async () => {
    // Prepare
    const code = emu.issueAuthorizationCode({ sellerId: 'S1' });

    // Act
    const res = await fetch(`${emu.url}/auth/o2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...CREDS }),
    });

    // Assess
    expect(res.status).toBe(200);
    expect(((await res.json()) as Body).refresh_token).toMatch(/^Atzr\|/);
  });
});

describe('refresh_token grant', () => {
  it('returns the same refresh token when rotation is never', async () => {
    // Prepare
    const rt = await authorize('S1');

    // Act
    const first = await refresh(rt);
    const second = await refresh(rt);

    // Assess
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBe(rt);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(emu.isRefreshTokenValid(rt)).toBe(true);
    expect(emu.currentRefreshToken('S1')).toBe(rt);
  });

  it('rotates on every refresh and rejects the old token at once', async () => {
    // Prepare
    await emu.stop();
    await start({ rotation: 'every-refresh' });
    const old = await authorize('S1');

    // Act
    const rotated = await refresh(old);
    const replay = await refresh(old);

    // Assess
    const next = rotated.body.refresh_token ?? '';
    expect(next).toMatch(/^Atzr\|/);
    expect(next).not.toBe(old);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(emu.isRefreshTokenValid(old)).toBe(false);
    expect(emu.isRefreshTokenValid(next)).toBe(true);
    expect(emu.currentRefreshToken('S1')).toBe(next);
    expect((await refresh(next)).status).toBe(200);
  });

  it('switches rotation at runtime', async () => {
    // Prepare
    const rt = await authorize('S1');

    // Act
    emu.setRotation('every-refresh');
    const { body } = await refresh(rt);

    // Assess
    expect(body.refresh_token).not.toBe(rt);
    expect(emu.isRefreshTokenValid(rt)).toBe(false);
  });

  it('rejects revoked refresh tokens with invalid_grant', async () => {
    // Prepare
    const rt = await authorize('S1');
    const other = await authorize('S2');

    // Act
    emu.revokeRefreshTokens('S1');
    const { status, body } = await refresh(rt);

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(emu.isRefreshTokenValid(rt)).toBe(false);
    expect(emu.currentRefreshToken('S1')).toBeUndefined();
    expect((await refresh(other)).status).toBe(200);
  });

  it('rejects a refresh token presented by another client', async () => {
    // Prepare
    const rt = await authorize('S1');

    // Act
    const { status, body } = await token({ grant_type: 'refresh_token', refresh_token: rt, ...OTHER_CREDS });

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('expires access tokens by the clock and honours setExpiresIn', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.setExpiresIn(120);

    // Act
    const { body } = await refresh(rt);
    const at = body.access_token ?? '';
    const validBefore = emu.isAccessTokenValid(at);
    now += 120_000;

    // Assess
    expect(body.expires_in).toBe(120);
    expect(validBefore).toBe(true);
    expect(emu.isAccessTokenValid(at)).toBe(false);
    expect(emu.isAccessTokenValid('Atza|not-ours')).toBe(false);
  });
});

describe('client_credentials grant', () => {
  it('issues a grantless access token without a refresh token', async () => {
    // Act
    const { status, body } = await token({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      ...CREDS,
    });

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^Atza\|/),
      token_type: 'bearer',
      expires_in: 3600,
      scope: 'sellingpartnerapi::notifications',
    });
  });

  it('rejects an unknown scope with invalid_scope', async () => {
    // Act
    const { status, body } = await token({ grant_type: 'client_credentials', scope: 'profile', ...CREDS });

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_scope');
  });
});

describe('device authorization', () => {
  it('creates a code pair', async () => {
    // Act
    const pair = await codepair('profile postal_code');

    // Assess
    expect(pair).toEqual({
      user_code: expect.stringMatching(/^[A-Z0-9]{6,8}$/),
      device_code: expect.any(String),
      verification_uri: `${emu.url}/device`,
      expires_in: 600,
      interval: 5,
    });
    expect((await fetch(`${emu.url}/device`)).status).toBe(200);
  });

  it('answers pending, then slow_down when polled early, then tokens once approved', async () => {
    // Prepare
    const pair = await codepair();
    const userCode = pair.user_code ?? '';

    // Act
    const pending = await pollDevice(pair);
    now += 2000;
    const tooSoon = await pollDevice(pair);
    now += 5000;
    const stillPending = await pollDevice(pair);
    emu.approveDevice(userCode);
    now += 5000;
    const approved = await pollDevice(pair);
    const again = await pollDevice(pair);

    // Assess
    expect(pending.body.error).toBe('authorization_pending');
    expect(tooSoon.body.error).toBe('slow_down');
    expect(stillPending.body.error).toBe('authorization_pending');
    expect([pending.status, tooSoon.status, stillPending.status]).toEqual([400, 400, 400]);
    expect(approved.status).toBe(200);
    expect(approved.body.access_token).toMatch(/^Atza\|/);
    expect(emu.currentRefreshToken(userCode)).toBe(approved.body.refresh_token);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('answers access_denied when the user denies', async () => {
    // Prepare
    const pair = await codepair();

    // Act
    emu.denyDevice(pair.user_code ?? '');
    const { status, body } = await pollDevice(pair);

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('access_denied');
  });

  it('answers expired_token after the pair expires, even if approved', async () => {
    // Prepare
    const pair = await codepair();
    emu.approveDevice(pair.user_code ?? '');

    // Act
    now += 600_000;
    const { status, body } = await pollDevice(pair);

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('expired_token');
  });

  it('rejects a scope outside the device scopes', async () => {
    // Act
    const { status, body } = await post('/auth/o2/create/codepair', {
      response_type: 'device_code',
      client_id: CLIENT.clientId,
      scope: 'sellingpartnerapi::notifications',
    });

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_scope');
  });

  it('refuses to approve an unknown user code', () => {
    // Act / Assess
    expect(() => emu.approveDevice('NOPE42')).toThrow('unknown user code');
  });
});

describe('request errors', () => {
  it.each([
    [
      'an unknown client',
      { grant_type: 'client_credentials', scope: 'x', client_id: 'nobody', client_secret: 's' },
      401,
      'invalid_client',
    ],
    [
      'a wrong secret',
      {
        grant_type: 'refresh_token',
        refresh_token: 'Atzr|x',
        client_id: CLIENT.clientId,
        client_secret: 'bad',
      },
      401,
      'invalid_client',
    ],
    ['no grant_type', { client_id: CLIENT.clientId }, 400, 'invalid_request'],
    ['a missing refresh_token', { grant_type: 'refresh_token', ...CREDS }, 400, 'invalid_request'],
    [
      'a refresh without client_secret',
      { grant_type: 'refresh_token', refresh_token: 'Atzr|x', client_id: CLIENT.clientId },
      400,
      'invalid_request',
    ],
    ['an unknown grant_type', { grant_type: 'password', ...CREDS }, 400, 'unsupported_grant_type'],
    [
      'an unknown refresh token',
      { grant_type: 'refresh_token', refresh_token: 'Atzr|x', ...CREDS },
      400,
      'invalid_grant',
    ],
  ])('answers %s with %i %s', async (_what, params: Record<string, string>, status, error) => {
    // Act
    const res = await token(params);

    // Assess
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error, error_description: expect.any(String) });
  });

  it('answers unauthorized_client for a grant the client may not use', async () => {
    // Prepare
    await emu.stop();
    await start({ clients: [{ ...CLIENT, allowedGrants: ['authorization_code', 'refresh_token'] }] });

    // Act
    const { status, body } = await token({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      ...CREDS,
    });

    // Assess
    expect(status).toBe(400);
    expect(body.error).toBe('unauthorized_client');
  });

  it.each([
    ['malformed JSON', 'application/json', '{"grant_type":'],
    ['a JSON array', 'application/json', '[]'],
    [
      'a repeated parameter',
      'application/x-www-form-urlencoded',
      'grant_type=refresh_token&grant_type=refresh_token',
    ],
    ['an unsupported content type', 'text/plain', 'grant_type=refresh_token'],
  ])('answers %s with invalid_request and keeps serving', async (_what, contentType, body) => {
    // Act
    const res = await fetch(`${emu.url}/auth/o2/token`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });

    // Assess
    expect(res.status).toBe(400);
    expect(((await res.json()) as Body).error).toBe('invalid_request');
    expect(
      (await token({ grant_type: 'client_credentials', scope: 'sellingpartnerapi::migration', ...CREDS }))
        .status,
    ).toBe(200);
  });

  it('answers 404 JSON on an unknown path and 405 on GET of the token endpoint', async () => {
    // Act
    const missing = await fetch(`${emu.url}/nope`);
    const get = await fetch(`${emu.url}/auth/o2/token`);

    // Assess
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Body).error).toBe('not_found');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('faults', () => {
  it('answers 429 with Retry-After', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7 });

    // Act
    const throttled = await refresh(rt);
    const next = await refresh(rt);

    // Assess
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body.error).toEqual(expect.any(String));
    expect(next.status).toBe(200);
  });

  it.each([
    [500, 'server_error'],
    [503, 'temporarily_unavailable'],
  ])('answers %i with %s by default', async (status, error) => {
    // Prepare
    emu.injectFault({ kind: 'status', status });

    // Act
    const res = await token({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      ...CREDS,
    });

    // Assess
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it.each([
    ['invalid_request', 400],
    ['invalid_client', 401],
    ['invalid_grant', 400],
    ['unauthorized_client', 400],
    ['unsupported_grant_type', 400],
    ['invalid_scope', 400],
    ['server_error', 500],
    ['temporarily_unavailable', 503],
  ] as const)('injects %s as HTTP %i', async (error, status) => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'oauth-error', error, grantType: 'refresh_token' });

    // Act
    const res = await refresh(rt);

    // Assess
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(emu.isRefreshTokenValid(rt)).toBe(true);
  });

  it('applies a fault `times` times, then answers normally', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'status', status: 500, times: 2 });

    // Act
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await refresh(rt)).status);

    // Assess
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('fails only the seller named by subject, found from its refresh token', async () => {
    // Prepare
    const sellers = Array.from({ length: 50 }, (_, i) => `SELLER${i}`);
    const tokens = new Map<string, string>();
    for (const s of sellers) tokens.set(s, await authorize(s));
    emu.injectFault({
      kind: 'oauth-error',
      error: 'invalid_grant',
      grantType: 'refresh_token',
      subject: 'SELLER17',
      times: 5,
    });

    // Act
    const results = await Promise.all(
      sellers.map(async (s) => [s, (await refresh(tokens.get(s) ?? '')).status] as const),
    );

    // Assess
    const failed = results.filter(([, status]) => status !== 200).map(([s]) => s);
    expect(failed).toEqual(['SELLER17']);
    expect(
      emu.requests.find((r) => r.subject === 'SELLER17' && r.grantType === 'refresh_token')?.status,
    ).toBe(400);
  });

  it('filters by grantType', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'status', status: 503, grantType: 'client_credentials' });

    // Act
    const refreshed = await refresh(rt);
    const grantless = await token({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      ...CREDS,
    });

    // Assess
    expect(refreshed.status).toBe(200);
    expect(grantless.status).toBe(503);
  });

  it('filters by path', async () => {
    // Prepare
    emu.injectFault({ kind: 'status', status: 500, path: '/auth/o2/create/codepair' });

    // Act
    const grantless = await token({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      ...CREDS,
    });
    const pair = await post('/auth/o2/create/codepair', {
      response_type: 'device_code',
      client_id: CLIENT.clientId,
      scope: 'profile',
    });

    // Assess
    expect(grantless.status).toBe(200);
    expect(pair.status).toBe(500);
  });

  it('adds latency, then answers normally', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'latency', ms: 150 });

    // Act
    const started = performance.now();
    const res = await refresh(rt);
    const elapsed = performance.now() - started;

    // Assess
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(150);
  });

  it('hangs until the client aborts', async () => {
    // Prepare
    emu.injectFault({ kind: 'hang' });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 200);

    // Act
    const started = performance.now();
    const attempt = token(
      { grant_type: 'client_credentials', scope: 'sellingpartnerapi::notifications', ...CREDS },
      { signal: controller.signal },
    );

    // Assess
    await expect(attempt).rejects.toThrow(/abort/i);
    clearTimeout(timer);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(emu.requests.at(-1)?.status).toBe(0);
    await expect(emu.stop()).resolves.toBeUndefined();
  });

  it('stop() resolves while a request hangs, closing its connection', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'hang', grantType: 'refresh_token', subject: 'S1' });
    const hung = refresh(rt);
    hung.catch(() => undefined); // asserted below; avoids an unhandled rejection meanwhile
    await until(() => emu.requests.length === 2);

    // Act
    await emu.stop();

    // Assess
    await expect(hung).rejects.toThrow();
  });

  it('clearFaults removes pending faults', async () => {
    // Prepare
    emu.injectFault({ kind: 'status', status: 500, times: 10 });

    // Act
    emu.clearFaults();
    const res = await token({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      ...CREDS,
    });

    // Assess
    expect(res.status).toBe(200);
  });

  it('drops fields from a real answer: the refresh token is still rotated', async () => {
    // Prepare
    await emu.stop();
    await start({ rotation: 'every-refresh' });
    const rt = await authorize('S1');
    emu.injectFault({
      kind: 'drop-fields',
      fields: ['expires_in', 'access_token'],
      grantType: 'refresh_token',
    });

    // Act
    const res = await refresh(rt);

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('expires_in');
    expect(res.body).not.toHaveProperty('access_token');
    expect(res.body.refresh_token).toBe(emu.currentRefreshToken('S1'));
    expect(emu.isRefreshTokenValid(rt)).toBe(false);
    expect(() => emu.injectFault({ kind: 'drop-fields', fields: ['refresh_token' as 'expires_in'] })).toThrow(
      'fault.fields',
    );
  });

  it('rejects a malformed fault', () => {
    // Act / Assess
    expect(() => emu.injectFault({ kind: 'status', status: 200 })).toThrow('fault.status');
  });
});

describe('inspection', () => {
  it('counts token calls by grant type, faulted ones too, and logs no secrets', async () => {
    // Prepare
    const rt = await authorize('S1');
    emu.injectFault({ kind: 'status', status: 429, grantType: 'refresh_token' });

    // Act
    const throttled = await refresh(rt);
    const ok = await refresh(rt);
    await codepair();

    // Assess
    expect(throttled.status).toBe(429);
    expect(emu.callCount()).toBe(3);
    expect(emu.callCount('authorization_code')).toBe(1);
    expect(emu.callCount('refresh_token')).toBe(2);
    expect(emu.callCount('device_code')).toBe(0);
    expect(emu.requests.map((r) => [r.path, r.grantType, r.subject, r.status])).toEqual([
      ['/auth/o2/token', 'authorization_code', 'S1', 200],
      ['/auth/o2/token', 'refresh_token', 'S1', 429],
      ['/auth/o2/token', 'refresh_token', 'S1', 200],
      ['/auth/o2/create/codepair', undefined, undefined, 200],
    ]);
    const log = JSON.stringify(emu.requests);
    for (const secret of [rt, ok.body.access_token ?? '', CLIENT.clientSecret])
      expect(log).not.toContain(secret);
  });
});

describe('HTTP control interface', () => {
  it('issues codes, sets config, injects and clears faults, and reports stats', async () => {
    // Act
    const issued = await control('POST', '/authorization-codes', {
      sellerId: 'S9',
      clientId: CLIENT.clientId,
    });
    const code = (issued.body as { code: string }).code;
    const config = await control('POST', '/config', { expiresIn: 900, rotation: 'every-refresh' });
    const exchanged = await exchange(code);
    const injected = await control('POST', '/faults', { kind: 'status', status: 503, times: 3 });
    const faulted = await refresh(exchanged.body.refresh_token ?? '');
    const cleared = await control('DELETE', '/faults');
    const rotated = await refresh(exchanged.body.refresh_token ?? '');
    const stats = await control('GET', '/stats');

    // Assess
    expect(issued.status).toBe(200);
    expect(config.body).toEqual({ expiresIn: 900, rotation: 'every-refresh' });
    expect(exchanged.body.expires_in).toBe(900);
    expect(injected.body).toEqual({ pendingFaults: 3 });
    expect(faulted.status).toBe(503);
    expect(cleared.body).toEqual({ pendingFaults: 0 });
    expect(rotated.body.refresh_token).not.toBe(exchanged.body.refresh_token);
    expect(stats.body).toEqual({
      token: { total: 3, byGrantType: { authorization_code: 1, refresh_token: 2 } },
      codepair: { total: 0 },
      pendingFaults: 0,
    });
  });

  it('approves and denies devices, revokes, and introspects tokens', async () => {
    // Prepare
    const approvedPair = await codepair();
    const deniedPair = await codepair();

    // Act
    const approve = await control('POST', `/devices/${approvedPair.user_code}/approve`);
    const deny = await control('POST', `/devices/${deniedPair.user_code}/deny`);
    const tokens = await pollDevice(approvedPair);
    const denied = await pollDevice(deniedPair);
    const rt = tokens.body.refresh_token ?? '';
    const before = await control('POST', '/tokens/introspect', { token: rt });
    await control('POST', '/revocations', { subject: approvedPair.user_code });
    const after = await control('POST', '/tokens/introspect', { token: rt });

    // Assess
    expect([approve.status, deny.status]).toEqual([200, 200]);
    expect(tokens.status).toBe(200);
    expect(denied.body.error).toBe('access_denied');
    expect(before.body).toEqual({ accessTokenValid: false, refreshTokenValid: true });
    expect(after.body).toEqual({ accessTokenValid: false, refreshTokenValid: false });
  });

  it('answers bad control input with 400 and unknown routes with 404', async () => {
    // Act
    const badFault = await control('POST', '/faults', { kind: 'explode' });
    const badJson = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: '{' });
    const unknownDevice = await control('POST', '/devices/ZZZZZZ/approve');
    const unknownRoute = await control('GET', '/nothing');

    // Assess
    expect(badFault.status).toBe(400);
    expect(badJson.status).toBe(400);
    expect(unknownDevice.status).toBe(400);
    expect(unknownRoute.status).toBe(404);
  });
});
