import 'aws-sdk-client-mock-jest';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type AccessToken,
  DEFAULT_CACHE_MARGIN_SECONDS,
  InvalidTokenRequestError,
  SellerNotAuthorizedError,
  TokenClient,
  TokenClientError,
  type TokenClientOptions,
  TokenExpiredError,
  TokenReadError,
} from '../../../lambda/client';

const SELLER = 'A2EUQ1WTGCTBG2';
const OTHER_SELLER = 'A1OTHERSELLER9';
const ACCESS_TOKEN = 'Atza|IwEBIFirstAccessTokenValue0123456789';
const NEWER_ACCESS_TOKEN = 'Atza|IwEBISecondAccessTokenValue987654321';
const REFRESH_TOKEN = 'Atzr|IwEBIRefreshTokenValueAbcdefghijklmnop';
const NOW = Date.parse('2026-11-24T20:19:26.000Z');
const HOUR = 3_600_000;
const SECOND = 1_000;
const SELLER_SECRET = `lwa-tokens/sellers/NA/${SELLER}`;

const secretsManager = mockClient(SecretsManagerClient);
let now: number;

function tokenSecret(overrides: Record<string, unknown> = {}): { SecretString: string } {
  return {
    SecretString: JSON.stringify({
      sellerId: SELLER,
      region: 'NA',
      accessToken: ACCESS_TOKEN,
      accessTokenExpiresAt: new Date(NOW + HOUR).toISOString(),
      refreshToken: REFRESH_TOKEN,
      tokenType: 'bearer',
      updatedAt: new Date(NOW).toISOString(),
      ...overrides,
    }),
  };
}

function newClient(options: TokenClientOptions = {}): TokenClient {
  return new TokenClient({
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    clock: () => now,
    ...options,
  });
}

function awsError(name: string): Error {
  return Object.assign(new Error(`${name} from the service`), { name, $metadata: {} });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the promise to reject');
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (e: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  secretsManager.reset();
  now = NOW;
  delete process.env.TOKEN_SECRET_PREFIX;
});

describe('reading and caching', () => {
  it('reads the seller secret by its contract name and returns the token and its expiry', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
    const client = newClient();

    // Act
    const token = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: new Date(NOW + HOUR) });
    expect(Object.isFrozen(token)).toBe(true);
    expect(secretsManager).toReceiveCommandWith(GetSecretValueCommand, { SecretId: SELLER_SECRET });
  });

  it('serves a cache hit without calling Secrets Manager again, as the same object', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
    const client = newClient();
    const first = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    now += 30 * 60 * SECOND;
    const second = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(second).toBe(first);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('keys the cache by seller and region', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SELLER_SECRET })
      .resolves(tokenSecret())
      .on(GetSecretValueCommand, { SecretId: `lwa-tokens/sellers/EU/${SELLER}` })
      .resolves(tokenSecret({ region: 'EU', accessToken: NEWER_ACCESS_TOKEN }))
      .on(GetSecretValueCommand, { SecretId: `lwa-tokens/sellers/NA/${OTHER_SELLER}` })
      .resolves(tokenSecret({ sellerId: OTHER_SELLER, accessToken: NEWER_ACCESS_TOKEN }));
    const client = newClient();

    // Act
    const na = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    const eu = await client.getAccessToken({ sellerId: SELLER, region: 'EU' });
    const other = await client.getAccessToken({ sellerId: OTHER_SELLER, region: 'NA' });

    // Assess
    expect([na.accessToken, eu.accessToken, other.accessToken]).toEqual([
      ACCESS_TOKEN,
      NEWER_ACCESS_TOKEN,
      NEWER_ACCESS_TOKEN,
    ]);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 3);
  });

  it('serves the cached token up to the margin, then re-reads and returns the newer token', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret())
      .resolves(
        tokenSecret({
          accessToken: NEWER_ACCESS_TOKEN,
          accessTokenExpiresAt: new Date(NOW + 2 * HOUR).toISOString(),
        }),
      );
    const client = newClient();
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    const margin = DEFAULT_CACHE_MARGIN_SECONDS * SECOND;

    // Act
    now = NOW + HOUR - margin - 1;
    const justBefore = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    now = NOW + HOUR - margin;
    const atMargin = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(justBefore.accessToken).toBe(ACCESS_TOKEN);
    expect(atMargin).toEqual({ accessToken: NEWER_ACCESS_TOKEN, expiresAt: new Date(NOW + 2 * HOUR) });
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('honours a custom margin', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
    const client = newClient({ marginSeconds: 600 });
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    now = NOW + HOUR - 600 * SECOND;
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess: the re-read returned the same token, which is inside the 10-minute margin.
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect(error.message).toContain('600 s cache margin');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('drives the default clock with fake timers', async () => {
    // Prepare
    jest.useFakeTimers({ now: NOW });
    try {
      secretsManager
        .on(GetSecretValueCommand)
        .resolvesOnce(tokenSecret())
        .resolves(
          tokenSecret({
            accessToken: NEWER_ACCESS_TOKEN,
            accessTokenExpiresAt: new Date(NOW + 2 * HOUR).toISOString(),
          }),
        );
      const client = new TokenClient({ secretsManager: new SecretsManagerClient({ region: 'us-east-1' }) });
      await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

      // Act
      jest.advanceTimersByTime(HOUR - 59 * SECOND);
      const token = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

      // Assess
      expect(token.accessToken).toBe(NEWER_ACCESS_TOKEN);
      expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('single flight', () => {
  it('shares one GetSecretValue among 100 concurrent misses', async () => {
    // Prepare
    const answer = deferred<{ SecretString: string }>();
    secretsManager.on(GetSecretValueCommand).callsFake(() => answer.promise);
    const client = newClient();

    // Act
    const calls = Array.from({ length: 100 }, () =>
      client.getAccessToken({ sellerId: SELLER, region: 'NA' }),
    );
    answer.resolve(tokenSecret());
    const tokens = await Promise.all(calls);

    // Assess
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]?.accessToken).toBe(ACCESS_TOKEN);
  });

  it('shares one re-read when the cached token reaches the margin under load', async () => {
    // Prepare
    const reread = deferred<{ SecretString: string }>();
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret())
      .callsFake(() => reread.promise);
    const client = newClient();
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    now = NOW + HOUR - 30 * SECOND;

    // Act
    const calls = Array.from({ length: 100 }, () =>
      client.getAccessToken({ sellerId: SELLER, region: 'NA' }),
    );
    reread.resolve(
      tokenSecret({
        accessToken: NEWER_ACCESS_TOKEN,
        accessTokenExpiresAt: new Date(NOW + 2 * HOUR).toISOString(),
      }),
    );
    const tokens = await Promise.all(calls);

    // Assess: nobody got the old token while the re-read was in flight.
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
    expect(tokens.every((token) => token.accessToken === NEWER_ACCESS_TOKEN)).toBe(true);
  });

  it('fails every joiner of a failed read with the same error, from one call', async () => {
    // Prepare
    const answer = deferred<{ SecretString: string }>();
    secretsManager.on(GetSecretValueCommand).callsFake(() => answer.promise);
    const client = newClient();

    // Act
    const calls = Array.from({ length: 10 }, () =>
      errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' })),
    );
    answer.reject(awsError('ThrottlingException'));
    const errors = await Promise.all(calls);

    // Assess
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).toBeInstanceOf(TokenReadError);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });
});

describe('failures', () => {
  it('evicts a failed read, so the next call reads again', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(awsError('ThrottlingException'))
      .resolves(tokenSecret());
    const client = newClient();
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Act
    const token = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(error).toBeInstanceOf(TokenReadError);
    expect(error).toMatchObject({ name: 'TokenReadError', causeName: 'ThrottlingException' });
    expect(token.accessToken).toBe(ACCESS_TOKEN);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('raises SellerNotAuthorizedError when the seller has no secret, and does not cache it', async () => {
    // Prepare
    const notFound = new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret.",
      $metadata: {},
    });
    secretsManager.on(GetSecretValueCommand).rejects(notFound);
    const client = newClient();

    // Act
    const first = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));
    const second = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess
    expect(first).toBeInstanceOf(SellerNotAuthorizedError);
    expect(first).toBeInstanceOf(TokenClientError);
    expect(first).toMatchObject({
      name: 'SellerNotAuthorizedError',
      sellerId: SELLER,
      region: 'NA',
      reason: 'NOT_AUTHORIZED',
      cause: notFound,
    });
    expect(first.message).toBe(
      `Seller ${SELLER} has not authorized this application in region NA (there is no secret ${SELLER_SECRET}); send them to the /authorize?region=NA link.`,
    );
    expect(second).toBeInstanceOf(SellerNotAuthorizedError);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('points at grantReadTokens on AccessDeniedException and keeps the cause', async () => {
    // Prepare
    const denied = awsError('AccessDeniedException');
    secretsManager.on(GetSecretValueCommand).rejects(denied);
    const client = newClient();

    // Act
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess
    expect(error).toBeInstanceOf(TokenReadError);
    expect(error).toMatchObject({
      causeName: 'AccessDeniedException',
      secretName: SELLER_SECRET,
      cause: denied,
    });
    expect(error.message).toContain('grantReadTokens');
  });

  it('points at kms:Decrypt on DecryptionFailure', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new DecryptionFailure({ message: 'KMS says no', $metadata: {} }));
    const client = newClient();

    // Act
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess
    expect(error).toMatchObject({ name: 'TokenReadError', causeName: 'DecryptionFailure' });
    expect(error.message).toContain('kms:Decrypt');
  });

  it.each([
    ['not JSON', { SecretString: 'Atza|not-json' }],
    ['no SecretString', { SecretBinary: new Uint8Array([1, 2, 3]) }],
    ['no accessToken', tokenSecret({ accessToken: undefined })],
    ['another seller', tokenSecret({ sellerId: OTHER_SELLER })],
    ['another region', tokenSecret({ region: 'EU' })],
  ])('refuses a malformed secret (%s)', async (_case, output) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(output);
    const client = newClient();

    // Act
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess
    expect(error).toMatchObject({ name: 'TokenReadError', causeName: 'MalformedTokenSecretError' });
    expect(error.message).toContain(SELLER_SECRET);
  });
});

describe('expired tokens', () => {
  it('never returns a token that is inside the margin even on a fresh read', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves(tokenSecret({ accessTokenExpiresAt: new Date(NOW + 59 * SECOND).toISOString() }));
    const client = newClient();

    // Act
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));
    await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect(error).toMatchObject({
      name: 'TokenExpiredError',
      refreshable: true,
      secretName: SELLER_SECRET,
      expiresAt: new Date(NOW + 59 * SECOND),
    });
    expect(error.message).toContain(
      "the refresher is behind or failing; check the refresh Lambda's alarms/DLQ",
    );
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('says an ACCESS_ONLY token cannot be refreshed and the seller must authorize again', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(
      tokenSecret({
        refreshToken: undefined,
        accessTokenExpiresAt: new Date(NOW - SECOND).toISOString(),
      }),
    );
    const client = newClient();

    // Act
    const error = await errorOf(client.getAccessToken({ sellerId: SELLER, region: 'NA' }));

    // Assess
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect(error).toMatchObject({ refreshable: false });
    expect(error.message).toContain('cannot be refreshed because LWA returned no refresh token');
    expect(error.message).toContain("Configure the app's client secret");
    expect(error.message).toContain('/authorize?region=NA');
    expect(error.message).not.toContain('refresher is behind');
  });
});

describe('input validation', () => {
  const invalid: Array<[string, unknown]> = [
    ['lower-case seller id', { sellerId: 'a2euq1wtgctbg2', region: 'NA' }],
    ['seller id with a path', { sellerId: `${SELLER}/../x`, region: 'NA' }],
    ['a token passed as seller id', { sellerId: ACCESS_TOKEN, region: 'NA' }],
    ['missing seller id', { region: 'NA' }],
    ['unknown region', { sellerId: SELLER, region: 'US' }],
    ['lower-case region', { sellerId: SELLER, region: 'na' }],
    ['no request at all', undefined],
  ];

  it.each(invalid)('rejects %s with InvalidTokenRequestError and no SDK call', async (_case, request) => {
    // Prepare
    const client = newClient();

    // Act
    const error = await errorOf(client.getAccessToken(request as never));

    // Assess
    expect(error).toBeInstanceOf(InvalidTokenRequestError);
    expect(error.name).toBe('InvalidTokenRequestError');
    expect(error.message).not.toContain('Atza|');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 0);
  });

  it.each([
    ['a scope with spaces', { scope: 'sellingpartnerapi notifications', region: 'NA' }],
    ['an empty scope', { scope: '', region: 'NA' }],
    ['unknown region', { scope: 'sellingpartnerapi::notifications', region: 'XX' }],
  ])('rejects a grantless request with %s and no SDK call', async (_case, request) => {
    // Prepare
    const client = newClient();

    // Act
    const error = await errorOf(client.getGrantlessToken(request as never));

    // Assess
    expect(error).toBeInstanceOf(InvalidTokenRequestError);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 0);
  });

  it('names the field and echoes short values', async () => {
    // Act
    const error = await errorOf(newClient().getAccessToken({ sellerId: 'seller-1', region: 'NA' }));

    // Assess
    expect(error).toMatchObject({ field: 'sellerId' });
    expect(error.message).toBe(
      'Invalid token request: sellerId must be an SP-API selling partner id such as A2EUQ1WTGCTBG2, got "seller-1". Fix the caller.',
    );
  });

  it('rejects a bad margin or prefix at construction', () => {
    expect(() => newClient({ marginSeconds: -1 })).toThrow(InvalidTokenRequestError);
    expect(() => newClient({ marginSeconds: Number.NaN })).toThrow(InvalidTokenRequestError);
    expect(() => newClient({ secretPrefix: 'lwa-tokens/' })).toThrow(/secretPrefix/);
    expect(() => newClient({ secretPrefix: 'lwa tokens' })).toThrow(InvalidTokenRequestError);
    expect(() => newClient({ maxEntries: 0 })).toThrow(/maxEntries/);
  });
});

describe('grantless tokens', () => {
  const grantlessSecret = (overrides: Record<string, unknown> = {}) =>
    tokenSecret({
      sellerId: undefined,
      refreshToken: undefined,
      scope: 'sellingpartnerapi::notifications',
      ...overrides,
    });

  it('reads <prefix>/grantless/<REGION>/<scope slug>', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(grantlessSecret());
    const client = newClient();

    // Act
    const token = await client.getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'NA' });
    await client.getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'NA' });

    // Assess
    expect(token.accessToken).toBe(ACCESS_TOKEN);
    expect(secretsManager).toReceiveCommandWith(GetSecretValueCommand, {
      SecretId: 'lwa-tokens/grantless/NA/sellingpartnerapi-notifications',
    });
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('caches grantless tokens apart from seller tokens and invalidates them on their own', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SELLER_SECRET })
      .resolves(tokenSecret())
      .on(GetSecretValueCommand, { SecretId: 'lwa-tokens/grantless/NA/sellingpartnerapi-notifications' })
      .resolves(grantlessSecret({ accessToken: NEWER_ACCESS_TOKEN }));
    const client = newClient();
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await client.getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'NA' });

    // Act
    const dropped = client.invalidateGrantless({ scope: 'sellingpartnerapi::notifications', region: 'NA' });
    const grantless = await client.getGrantlessToken({
      scope: 'sellingpartnerapi::notifications',
      region: 'NA',
    });
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(dropped).toBe(true);
    expect(grantless.accessToken).toBe(NEWER_ACCESS_TOKEN);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 3);
  });

  it('says which scope to configure when the grantless secret is missing', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));

    // Act
    const error = await errorOf(
      newClient().getGrantlessToken({ scope: 'sellingpartnerapi::migration', region: 'FE' }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'TokenReadError', causeName: 'ResourceNotFoundException' });
    expect(error.message).toContain('lwa-tokens/grantless/FE/sellingpartnerapi-migration');
    expect(error.message).toContain('grantless scopes');
  });

  it('refuses a secret that holds another scope', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves(grantlessSecret({ scope: 'sellingpartnerapi::migration' }));

    // Act
    const error = await errorOf(
      newClient().getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'NA' }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'TokenReadError', causeName: 'MalformedTokenSecretError' });
  });

  it('reports an expired grantless token as the refresher falling behind', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves(grantlessSecret({ accessTokenExpiresAt: new Date(NOW).toISOString() }));

    // Act
    const error = await errorOf(
      newClient().getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'NA' }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'TokenExpiredError', refreshable: true });
    expect(error.message).toContain('refresher is behind or failing');
  });
});

describe('secret prefix', () => {
  it('comes from TOKEN_SECRET_PREFIX', async () => {
    // Prepare
    process.env.TOKEN_SECRET_PREFIX = 'acme/lwa';
    secretsManager.on(GetSecretValueCommand).resolves(tokenSecret({ region: 'EU' }));
    const client = newClient();

    // Act
    await client.getAccessToken({ sellerId: SELLER, region: 'EU' });

    // Assess
    expect(client.secretPrefix).toBe('acme/lwa');
    expect(secretsManager).toReceiveCommandWith(GetSecretValueCommand, {
      SecretId: `acme/lwa/sellers/EU/${SELLER}`,
    });
  });

  it('prefers the secretPrefix option, and defaults to lwa-tokens', () => {
    process.env.TOKEN_SECRET_PREFIX = 'from-env';
    expect(newClient({ secretPrefix: 'from-option' }).secretPrefix).toBe('from-option');
    delete process.env.TOKEN_SECRET_PREFIX;
    expect(newClient().secretPrefix).toBe('lwa-tokens');
  });
});

describe('invalidate', () => {
  it('forces the next call to read the secret again', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret())
      .resolves(tokenSecret({ accessToken: NEWER_ACCESS_TOKEN }));
    const client = newClient();
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    const dropped = client.invalidate({ sellerId: SELLER, region: 'NA' });
    const token = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(dropped).toBe(true);
    expect(token.accessToken).toBe(NEWER_ACCESS_TOKEN);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('is a no-op for unknown or invalid input', () => {
    const client = newClient();
    expect(client.invalidate({ sellerId: SELLER, region: 'NA' })).toBe(false);
    expect(client.invalidate({ sellerId: SELLER, region: 'XX' } as never)).toBe(false);
    expect(client.invalidate(undefined as never)).toBe(false);
  });

  it('keeps a read that was in flight from overwriting the read that replaced it', async () => {
    // Prepare
    const stale = deferred<{ SecretString: string }>();
    secretsManager
      .on(GetSecretValueCommand)
      .callsFakeOnce(() => stale.promise)
      .resolves(tokenSecret({ accessToken: NEWER_ACCESS_TOKEN }));
    const client = newClient();
    const inFlight = client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    client.invalidate({ sellerId: SELLER, region: 'NA' });
    const fresh = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    stale.resolve(tokenSecret());
    await inFlight;
    const after = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(fresh.accessToken).toBe(NEWER_ACCESS_TOKEN);
    expect(after).toBe(fresh);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('drops the entry cached longest ago past maxEntries', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const sellerId = input.SecretId.split('/').pop();
      return tokenSecret({ sellerId });
    });
    const client = newClient({ maxEntries: 2 });
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await client.getAccessToken({ sellerId: OTHER_SELLER, region: 'NA' });

    // Act
    await client.getAccessToken({ sellerId: 'A3THIRDSELLER7', region: 'NA' });
    await client.getAccessToken({ sellerId: OTHER_SELLER, region: 'NA' });
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess: the third seller evicted the first; the second was still cached.
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 4);
    expect(secretsManager).toReceiveNthCommandWith(4, GetSecretValueCommand, { SecretId: SELLER_SECRET });
  });

  it('past maxEntries evicts the entry used least recently, not the one inserted first', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const sellerId = input.SecretId.split('/').pop();
      return tokenSecret({ sellerId });
    });
    const client = newClient({ maxEntries: 2 });
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await client.getAccessToken({ sellerId: OTHER_SELLER, region: 'NA' });
    // A cache hit makes the first seller the most recently used.
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    await client.getAccessToken({ sellerId: 'A3THIRDSELLER7', region: 'NA' });
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });
    await client.getAccessToken({ sellerId: OTHER_SELLER, region: 'NA' });

    // Assess: the first seller stayed cached; the second, unused since, was evicted and read again.
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 4);
    expect(secretsManager).toReceiveNthCommandWith(4, GetSecretValueCommand, {
      SecretId: `lwa-tokens/sellers/NA/${OTHER_SELLER}`,
    });
  });

  it('a grantless cache hit also counts as a use for eviction', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const slug = input.SecretId.split('/').pop() ?? '';
      return {
        SecretString: JSON.stringify({
          scope: `sellingpartnerapi::${slug.replace('sellingpartnerapi-', '')}`,
          region: 'NA',
          accessToken: ACCESS_TOKEN,
          accessTokenExpiresAt: new Date(NOW + HOUR).toISOString(),
          tokenType: 'bearer',
          updatedAt: new Date(NOW).toISOString(),
        }),
      };
    });
    const client = newClient({ maxEntries: 2 });
    const read = (scope: string) =>
      client.getGrantlessToken({ scope: `sellingpartnerapi::${scope}`, region: 'NA' });
    await read('notifications');
    await read('migration');
    await read('notifications');

    // Act
    await read('client_credential');
    await read('notifications');

    // Assess: notifications was used last, so migration made room; notifications was a hit.
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 3);
  });

  it('clear() drops every entry', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
    const client = newClient();
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    client.clear();
    await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Assess
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });
});

describe('errors never carry a token', () => {
  it('keeps access and refresh tokens out of every message and stack', async () => {
    // Prepare: every failure mode that has a token within reach.
    const scenarios: Array<[TokenClientOptions, Record<string, unknown> | Error, unknown]> = [
      [{}, tokenSecret({ accessTokenExpiresAt: new Date(NOW).toISOString() }), undefined],
      [
        {},
        tokenSecret({ refreshToken: undefined, accessTokenExpiresAt: new Date(NOW).toISOString() }),
        undefined,
      ],
      [{}, tokenSecret({ sellerId: OTHER_SELLER }), undefined],
      [{}, { SecretString: `{"accessToken":"${ACCESS_TOKEN}"` }, undefined],
      [{}, tokenSecret({ region: 'EU' }), undefined],
      [{}, awsError('AccessDeniedException'), undefined],
      [{}, tokenSecret(), { sellerId: ACCESS_TOKEN, region: 'NA' }],
      [{}, tokenSecret(), { sellerId: SELLER, region: REFRESH_TOKEN }],
    ];
    const errors: Error[] = [];
    for (const [options, output, request] of scenarios) {
      secretsManager.reset();
      if (output instanceof Error) secretsManager.on(GetSecretValueCommand).rejects(output);
      else secretsManager.on(GetSecretValueCommand).resolves(output);
      const client = newClient(options);

      // Act
      errors.push(
        await errorOf(client.getAccessToken((request ?? { sellerId: SELLER, region: 'NA' }) as never)),
      );
    }

    // Assess
    expect(errors).toHaveLength(scenarios.length);
    for (const error of errors) {
      expect(error).toBeInstanceOf(TokenClientError);
      for (const text of [error.message, String(error), error.stack ?? '', JSON.stringify(error)]) {
        expect(text).not.toContain(ACCESS_TOKEN);
        expect(text).not.toContain(REFRESH_TOKEN);
        expect(text).not.toContain('Atza|');
        expect(text).not.toContain('Atzr|');
      }
    }
  });
});

describe('returned objects', () => {
  it('cannot be modified by one caller to affect another', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(tokenSecret());
    const client = newClient();
    const token: AccessToken = await client.getAccessToken({ sellerId: SELLER, region: 'NA' });

    // Act
    const write = () => {
      (token as { accessToken: string }).accessToken = 'tampered';
    };

    // Assess
    expect(write).toThrow(TypeError);
    expect((await client.getAccessToken({ sellerId: SELLER, region: 'NA' })).accessToken).toBe(ACCESS_TOKEN);
  });
});
