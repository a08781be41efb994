import {
  CODE_PAIR_PATH,
  classifyLwaFailure,
  LwaClient,
  LwaError,
  parseRetryAfter,
  TOKEN_PATH,
} from '../../../lambda/shared/lwa-client';

const BASE_URL = 'https://api.amazon.com';
const CLIENT_ID = 'amzn1.application-oa2-client.0123456789abcdef';
// Characters that must be form-encoded: `|`, `+`, `/`, `=` and `&`.
const REFRESH_TOKEN = 'Atzr|IwEBIA+refresh/token=value&more';
const CLIENT_SECRET = 'amzn1.oa2-cs.v1.secret+value/with=chars&x';

type FetchMock = jest.Mock<Promise<Response>, Parameters<typeof globalThis.fetch>>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** Each argument is one answer: a Response, or anything else for fetch to reject with. */
function clientAnswering(...responses: unknown[]): { client: LwaClient; fetch: FetchMock } {
  const fetch: FetchMock = jest.fn();
  for (const response of responses) {
    if (response instanceof Response) fetch.mockResolvedValueOnce(response);
    else fetch.mockRejectedValueOnce(response);
  }
  return { client: new LwaClient({ fetch: fetch as unknown as typeof globalThis.fetch }), fetch };
}

const refresh = (client: LwaClient) =>
  client.refreshAccessToken(BASE_URL, {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    refreshToken: REFRESH_TOKEN,
  });

async function refreshFailure(client: LwaClient): Promise<LwaError> {
  const error = await refresh(client).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LwaError)) throw new Error(`expected an LwaError, got ${String(error)}`);
  return error;
}

function expectNoSecretsIn(error: LwaError): void {
  for (const text of [error.message, String(error), error.stack ?? '', JSON.stringify(error)]) {
    expect(text).not.toContain(REFRESH_TOKEN);
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain('Atzr|');
  }
}

function sentRequest(fetch: FetchMock, index = 0): { url: string; init: RequestInit; form: URLSearchParams } {
  const call = fetch.mock.calls[index];
  if (!call) throw new Error(`fetch was not called ${index + 1} times`);
  const [url, init] = call;
  if (!init || typeof init.body !== 'string') throw new Error('expected a string body');
  return { url: String(url), init, form: new URLSearchParams(init.body) };
}

describe('LwaClient.refreshAccessToken', () => {
  it('posts a url-encoded refresh_token grant to /auth/o2/token', async () => {
    // Prepare
    const { client, fetch } = clientAnswering(
      json(200, {
        access_token: 'Atza|new',
        refresh_token: 'Atzr|new',
        token_type: 'bearer',
        expires_in: 3600,
      }),
    );

    // Act
    await refresh(client);

    // Assess
    const { url, init, form } = sentRequest(fetch);
    expect(url).toBe(`${BASE_URL}${TOKEN_PATH}`);
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(typeof init.body).toBe('string');
    expect(init.body).not.toContain(REFRESH_TOKEN);
    expect(init.body).toContain(encodeURIComponent('Atzr|IwEBIA+refresh/token=value&more'));
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: REFRESH_TOKEN,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('returns the tokens and the expires_in LWA sent', async () => {
    // Prepare
    const { client } = clientAnswering(
      json(200, {
        access_token: 'Atza|new',
        refresh_token: 'Atzr|new',
        token_type: 'bearer',
        expires_in: 1800,
      }),
    );

    // Act
    const result = await refresh(client);

    // Assess
    expect(result).toEqual({
      accessToken: 'Atza|new',
      refreshToken: 'Atzr|new',
      tokenType: 'bearer',
      expiresIn: 1800,
    });
  });

  it('accepts a numeric-string expires_in and reports an absent or empty refresh token as undefined', async () => {
    // Prepare
    const { client } = clientAnswering(
      json(200, { access_token: 'Atza|a', expires_in: '3600' }),
      json(200, { access_token: 'Atza|b', refresh_token: '', expires_in: 3600 }),
    );

    // Act
    const first = await refresh(client);
    const second = await refresh(client);

    // Assess
    expect(first).toEqual({
      accessToken: 'Atza|a',
      refreshToken: undefined,
      tokenType: 'bearer',
      expiresIn: 3600,
    });
    expect(second.refreshToken).toBeUndefined();
  });

  it.each([
    ['no expires_in', { access_token: 'Atza|partial' }, 'expires_in', 'Atza|partial'],
    ['a zero expires_in', { access_token: 'Atza|partial', expires_in: 0 }, 'expires_in', 'Atza|partial'],
    [
      'a non-numeric expires_in',
      { access_token: 'Atza|partial', expires_in: 'soon' },
      'expires_in',
      'Atza|partial',
    ],
    ['an empty access_token', { access_token: '', expires_in: 3600 }, 'access_token', undefined],
    ['no access_token and no expires_in', {}, 'access_token', undefined],
  ])(
    'returns the rotated refresh token of a 200 with %s, marked incomplete (invariant 10)',
    async (_label, body, incomplete, accessToken) => {
      // Prepare
      const { client } = clientAnswering(json(200, { refresh_token: 'Atzr|rotated', ...body }));

      // Act
      const result = await refresh(client);

      // Assess
      expect(result).toEqual({ incomplete, refreshToken: 'Atzr|rotated', accessToken, tokenType: 'bearer' });
    },
  );

  it('omits client_secret when the caller sends none', async () => {
    // Prepare
    const { client, fetch } = clientAnswering(json(200, { access_token: 'Atza|a', expires_in: 3600 }));

    // Act
    await client.refreshAccessToken(BASE_URL, { clientId: CLIENT_ID, refreshToken: REFRESH_TOKEN });

    // Assess
    expect(sentRequest(fetch).form.has('client_secret')).toBe(false);
  });
});

describe('LwaClient, other grants', () => {
  it('exchanges an authorization code with its redirect_uri', async () => {
    // Prepare
    const { client, fetch } = clientAnswering(
      json(200, { access_token: 'Atza|a', refresh_token: 'Atzr|a', expires_in: 3600 }),
    );

    // Act
    await client.exchangeAuthorizationCode(BASE_URL, {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      code: 'ANdNAVhyhqirUelHGEHA',
      redirectUri: 'https://example.com/callback?x=1&y=2',
    });

    // Assess
    expect(Object.fromEntries(sentRequest(fetch).form)).toEqual({
      grant_type: 'authorization_code',
      code: 'ANdNAVhyhqirUelHGEHA',
      redirect_uri: 'https://example.com/callback?x=1&y=2',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('asks for a grantless token with its scope', async () => {
    // Prepare
    const { client, fetch } = clientAnswering(json(200, { access_token: 'Atza|g', expires_in: 3600 }));

    // Act
    const result = await client.grantlessToken(BASE_URL, {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      scope: 'sellingpartnerapi::notifications',
    });

    // Assess
    expect(result.refreshToken).toBeUndefined();
    expect(Object.fromEntries(sentRequest(fetch).form)).toEqual({
      grant_type: 'client_credentials',
      scope: 'sellingpartnerapi::notifications',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('creates a device code pair, defaulting expires_in and interval', async () => {
    // Prepare
    const { client, fetch } = clientAnswering(
      json(200, {
        user_code: 'ABC123',
        device_code: 'dev-code',
        verification_uri: 'https://amazon.com/us/code',
      }),
    );

    // Act
    const pair = await client.createCodePair(BASE_URL, { clientId: CLIENT_ID, scope: 'profile' });

    // Assess
    expect(sentRequest(fetch).url).toBe(`${BASE_URL}${CODE_PAIR_PATH}`);
    expect(pair).toEqual({
      userCode: 'ABC123',
      deviceCode: 'dev-code',
      verificationUri: 'https://amazon.com/us/code',
      expiresIn: 600,
      interval: 5,
    });
  });

  it('refuses a code pair answer without the codes', async () => {
    // Prepare
    const { client } = clientAnswering(json(200, { user_code: 'ABC123' }));

    // Act
    const outcome = client.createCodePair(BASE_URL, { clientId: CLIENT_ID, scope: 'profile' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'LwaError', code: 'malformed_response' });
  });
});

describe('LwaClient failures', () => {
  it.each([
    ['invalid_grant', 400, 'invalid_grant'],
    ['invalid_client', 401, 'app'],
    ['unauthorized_client', 400, 'app'],
    ['invalid_scope', 400, 'invalid_scope'],
    ['invalid_request', 400, 'request'],
    ['unsupported_grant_type', 400, 'request'],
    ['server_error', 500, 'transient'],
    ['temporarily_unavailable', 503, 'transient'],
    ['authorization_pending', 400, 'device'],
    ['slow_down', 400, 'device'],
    ['expired_token', 400, 'device'],
    ['access_denied', 400, 'device'],
  ] as const)('classifies OAuth error %s (HTTP %i) as %s', async (code, status, kind) => {
    // Prepare
    const { client } = clientAnswering(
      json(status, { error: code, error_description: `description mentioning ${REFRESH_TOKEN}` }),
    );

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ name: 'LwaError', code, status, kind });
    expect(error.message).toBe(`Login with Amazon answered ${code} (HTTP ${status})`);
    expectNoSecretsIn(error);
  });

  it.each([
    [429, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [400, 'request'],
    [404, 'request'],
  ] as const)('classifies HTTP %i with a non-JSON body by its status as %s', async (status, kind) => {
    // Prepare
    const { client } = clientAnswering(new Response('<html>Service Unavailable</html>', { status }));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code: `http_${status}`, status, kind });
  });

  it('classifies 429 with an unfamiliar error code as transient and reads Retry-After', async () => {
    // Prepare
    const { client } = clientAnswering(json(429, { error: 'TooManyRequests' }, { 'Retry-After': '7' }));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({
      code: 'TooManyRequests',
      status: 429,
      kind: 'transient',
      retryAfterSeconds: 7,
    });
  });

  it('reads Retry-After on a 503', async () => {
    // Prepare
    const { client } = clientAnswering(
      json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '2' }),
    );

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ kind: 'transient', retryAfterSeconds: 2 });
  });

  it('does not copy an error field that is not a plain code into the error', async () => {
    // Prepare
    const { client } = clientAnswering(json(400, { error: `bad token ${REFRESH_TOKEN} ${CLIENT_SECRET}` }));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code: 'http_400', kind: 'request' });
    expectNoSecretsIn(error);
  });

  it.each([
    ['TimeoutError', 'timeout'],
    ['AbortError', 'timeout'],
  ])('reports a fetch rejected with %s as a transient %s', async (name, code) => {
    // Prepare
    const { client } = clientAnswering(new DOMException('The operation was aborted', name));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code, kind: 'transient', status: undefined });
    expectNoSecretsIn(error);
  });

  it('aborts a hung request after timeoutMs and reports it as a transient timeout', async () => {
    // Prepare
    const fetch = jest.fn(
      (_url: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const client = new LwaClient({ timeoutMs: 5, fetch: fetch as unknown as typeof globalThis.fetch });

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code: 'timeout', kind: 'transient' });
  });

  it('aborts a hung request after the per-call timeoutMs, whatever the client default', async () => {
    // Prepare: a client default far beyond this test's own timeout
    const fetch = jest.fn(
      (_url: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const client = new LwaClient({ timeoutMs: 600_000, fetch: fetch as unknown as typeof globalThis.fetch });

    // Act
    const error = await client
      .exchangeAuthorizationCode(
        BASE_URL,
        { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, code: 'code', redirectUri: 'https://x/cb' },
        { timeoutMs: 5 },
      )
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'LwaError', code: 'timeout', kind: 'transient' });
  }, 10_000);

  describe('per-call timeout', () => {
    const answers = () =>
      json(200, {
        access_token: 'Atza|x',
        expires_in: 3600,
        user_code: 'U',
        device_code: 'D',
        verification_uri: 'https://v',
      });
    const calls: Array<[string, (client: LwaClient, timeoutMs?: number) => Promise<unknown>]> = [
      [
        'exchangeAuthorizationCode',
        (c, t) =>
          c.exchangeAuthorizationCode(
            BASE_URL,
            { clientId: CLIENT_ID, code: 'c', redirectUri: 'https://x/cb' },
            t === undefined ? undefined : { timeoutMs: t },
          ),
      ],
      [
        'refreshAccessToken',
        (c, t) =>
          c.refreshAccessToken(
            BASE_URL,
            { clientId: CLIENT_ID, refreshToken: REFRESH_TOKEN },
            t === undefined ? undefined : { timeoutMs: t },
          ),
      ],
      [
        'grantlessToken',
        (c, t) =>
          c.grantlessToken(
            BASE_URL,
            { clientId: CLIENT_ID, scope: 'sellingpartnerapi::notifications' },
            t === undefined ? undefined : { timeoutMs: t },
          ),
      ],
      [
        'deviceToken',
        (c, t) =>
          c.deviceToken(
            BASE_URL,
            { clientId: CLIENT_ID, deviceCode: 'd', userCode: 'u' },
            t === undefined ? undefined : { timeoutMs: t },
          ),
      ],
      [
        'createCodePair',
        (c, t) =>
          c.createCodePair(
            BASE_URL,
            { clientId: CLIENT_ID, scope: 'profile' },
            t === undefined ? undefined : { timeoutMs: t },
          ),
      ],
    ];

    afterEach(() => jest.restoreAllMocks());

    it.each(calls)(
      '%s arms its abort timer with the per-call timeoutMs, else the client default',
      async (_name, call) => {
        // Prepare
        const timeout = jest.spyOn(AbortSignal, 'timeout');
        const fetch = jest.fn(async () => answers());
        const client = new LwaClient({
          timeoutMs: 7_000,
          fetch: fetch as unknown as typeof globalThis.fetch,
        });

        // Act
        await call(client, 1_234);
        await call(client);

        // Assess
        expect(timeout.mock.calls).toEqual([[1_234], [7_000]]);
      },
    );
  });

  it('reports a network failure as a transient network_error without its cause', async () => {
    // Prepare
    const { client } = clientAnswering(new TypeError(`fetch failed for ${REFRESH_TOKEN}`));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code: 'network_error', kind: 'transient' });
    expectNoSecretsIn(error);
  });

  it.each([
    ['no access_token', { expires_in: 3600 }],
    ['an empty access_token', { access_token: '', expires_in: 3600 }],
    ['no expires_in', { access_token: 'Atza|x' }],
    ['a zero expires_in', { access_token: 'Atza|x', expires_in: 0 }],
    ['a negative expires_in', { access_token: 'Atza|x', expires_in: -1 }],
    ['a non-numeric expires_in', { access_token: 'Atza|x', expires_in: 'soon' }],
    ['a JSON array', [1, 2]],
  ])('reports a 200 with %s as malformed_response', async (_label, body) => {
    // Prepare
    const { client } = clientAnswering(json(200, body));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code: 'malformed_response', kind: 'request' });
  });

  it('reports a code exchange that lacks expires_in as malformed_response even with a refresh token', async () => {
    // Prepare: only a refresh keeps a half-usable answer; an authorization is not stored half-done
    const { client } = clientAnswering(json(200, { access_token: 'Atza|x', refresh_token: 'Atzr|x' }));

    // Act
    const error = await client
      .exchangeAuthorizationCode(BASE_URL, {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        code: 'ANxyz',
        redirectUri: 'https://example.test/callback',
      })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'LwaError', code: 'malformed_response' });
  });

  it('reports a 200 whose body is not JSON as malformed_response', async () => {
    // Prepare
    const { client } = clientAnswering(new Response(`access_token=${REFRESH_TOKEN}`, { status: 200 }));

    // Act
    const error = await refreshFailure(client);

    // Assess
    expect(error).toMatchObject({ code: 'malformed_response' });
    expectNoSecretsIn(error);
  });
});

describe('classifyLwaFailure', () => {
  it('lets the OAuth code win over the status', () => {
    // Assess
    expect(classifyLwaFailure('invalid_grant', 500)).toBe('invalid_grant');
    expect(classifyLwaFailure('invalid_client', 503)).toBe('app');
  });

  it('falls back to the status for an unknown code', () => {
    // Assess
    expect(classifyLwaFailure('something_new', 429)).toBe('transient');
    expect(classifyLwaFailure('something_new', 599)).toBe('transient');
    expect(classifyLwaFailure('something_new', 499)).toBe('request');
    expect(classifyLwaFailure('something_new')).toBe('request');
  });

  it('classifies timeouts and network errors as transient without a status', () => {
    // Assess
    expect(classifyLwaFailure('timeout')).toBe('transient');
    expect(classifyLwaFailure('network_error')).toBe('transient');
  });

  it('sets the LwaError name and kind from the code', () => {
    // Act
    const error = new LwaError({ code: 'invalid_client', status: 401 });

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('LwaError');
    expect(error.kind).toBe('app');
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2026-11-24T20:00:00.000Z');

  it('reads delta-seconds', () => {
    // Assess
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('120', NOW)).toBe(120);
  });

  it('reads an HTTP date relative to now, rounding up', () => {
    // Assess
    expect(parseRetryAfter('Tue, 24 Nov 2026 20:00:30 GMT', NOW)).toBe(30);
    expect(parseRetryAfter('Tue, 24 Nov 2026 20:00:30 GMT', NOW + 500)).toBe(30);
  });

  it('treats a date in the past as no wait', () => {
    // Assess
    expect(parseRetryAfter('Tue, 24 Nov 2026 19:00:00 GMT', NOW)).toBe(0);
  });

  it('ignores a missing or unparseable header', () => {
    // Assess
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});
