import { loadRefreshConfig, parseGrantlessScopes } from '../../../lambda/refresh/config';
import { ConfigurationError } from '../../../lambda/shared/env';

const MINIMAL_ENV = {
  SELLER_TABLE_NAME: 'sellers',
  APP_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lwa-app-AbCdEf',
  LWA_ENDPOINTS: '{"NA":"http://127.0.0.1:8080"}',
  TOKEN_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
};

describe('loadRefreshConfig', () => {
  it('reads the minimal environment and fills in the documented defaults', () => {
    // Act
    const config = loadRefreshConfig(MINIMAL_ENV);

    // Assess
    expect(config).toEqual({
      sellerTableName: 'sellers',
      appSecretId: MINIMAL_ENV.APP_SECRET_ID,
      tokenSecretPrefix: 'lwa-tokens',
      lwaEndpoints: {
        NA: 'http://127.0.0.1:8080',
        EU: 'https://api.amazon.co.uk',
        FE: 'https://api.amazon.co.jp',
      },
      kmsKeyId: MINIMAL_ENV.TOKEN_KMS_KEY_ID,
      regions: ['NA', 'EU', 'FE'],
      leadSeconds: 600,
      spreadSeconds: 300,
      secretsWritesPerSecond: 20,
      concurrency: 8,
      lwaMaxConcurrency: 8,
      leaseSeconds: 360,
      lwaMaxAttempts: 3,
      runBudgetSeconds: 50,
      tickSeconds: undefined,
      drainSeconds: 3,
      stopBeforeTimeoutSeconds: 60,
      minSecretWriteIntervalSeconds: 600,
      eventBusName: undefined,
      grantlessScopes: {},
    });
  });

  it('reads every optional variable', () => {
    // Act
    const config = loadRefreshConfig({
      ...MINIMAL_ENV,
      TOKEN_SECRET_PREFIX: 'tenant-a/lwa',
      REFRESH_REGIONS: 'EU,FE',
      REFRESH_LEAD_SECONDS: '900',
      REFRESH_SPREAD_SECONDS: '0',
      SECRETS_WRITES_PER_SECOND: '50',
      REFRESH_CONCURRENCY: '16',
      LWA_MAX_CONCURRENCY: '4',
      LEASE_SECONDS: '600',
      LWA_MAX_ATTEMPTS: '5',
      REFRESH_RUN_BUDGET_SECONDS: '240',
      REFRESH_TICK_SECONDS: '120',
      REFRESH_DRAIN_SECONDS: '5',
      REFRESH_STOP_BEFORE_TIMEOUT_SECONDS: '30',
      MIN_SECRET_WRITE_INTERVAL_SECONDS: '0',
      EVENT_BUS_NAME: ' ops-bus ',
    });

    // Assess
    expect(config).toMatchObject({
      tokenSecretPrefix: 'tenant-a/lwa',
      regions: ['EU', 'FE'],
      leadSeconds: 900,
      spreadSeconds: 0,
      secretsWritesPerSecond: 50,
      concurrency: 16,
      lwaMaxConcurrency: 4,
      leaseSeconds: 600,
      lwaMaxAttempts: 5,
      minSecretWriteIntervalSeconds: 0,
      runBudgetSeconds: 240,
      tickSeconds: 120,
      drainSeconds: 5,
      stopBeforeTimeoutSeconds: 30,
      eventBusName: 'ops-bus',
    });
  });

  it('refuses a drain as long as the tick, which would leave every run no work time', () => {
    // Act
    const load = () =>
      loadRefreshConfig({ ...MINIMAL_ENV, REFRESH_TICK_SECONDS: '60', REFRESH_DRAIN_SECONDS: '60' });

    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow('REFRESH_DRAIN_SECONDS (60) must be less than REFRESH_TICK_SECONDS (60)');
    expect(loadRefreshConfig({ ...MINIMAL_ENV, REFRESH_DRAIN_SECONDS: '60' }).drainSeconds).toBe(60);
  });

  it('treats a blank EVENT_BUS_NAME as no event bus', () => {
    // Assess
    expect(loadRefreshConfig({ ...MINIMAL_ENV, EVENT_BUS_NAME: '  ' }).eventBusName).toBeUndefined();
  });

  it('reads AUTHORIZE_URL for the expiring events, and names it when it is not a plain URL', () => {
    // Assess
    const url = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/authorize';
    expect(loadRefreshConfig({ ...MINIMAL_ENV, AUTHORIZE_URL: ` ${url} ` }).authorizeUrl).toBe(url);
    expect(loadRefreshConfig(MINIMAL_ENV).authorizeUrl).toBeUndefined();
    expect(() => loadRefreshConfig({ ...MINIMAL_ENV, AUTHORIZE_URL: `${url}?region=NA` })).toThrow(
      /AUTHORIZE_URL must be an absolute http\(s\) URL without a query/,
    );
  });

  it.each(['SELLER_TABLE_NAME', 'APP_SECRET_ID', 'LWA_ENDPOINTS', 'TOKEN_KMS_KEY_ID'])(
    'names %s when it is missing',
    (variable) => {
      // Prepare
      const env: Record<string, string | undefined> = { ...MINIMAL_ENV, [variable]: undefined };

      // Act
      const load = () => loadRefreshConfig(env);

      // Assess
      expect(load).toThrow(ConfigurationError);
      expect(load).toThrow(`Environment variable ${variable} is not set`);
    },
  );

  it.each([
    ['LWA_ENDPOINTS', 'https://api.amazon.com'],
    ['LWA_ENDPOINTS', '{"XX":"https://api.amazon.com"}'],
    ['REFRESH_REGIONS', 'NA,US'],
    ['REFRESH_LEAD_SECONDS', '60'],
    ['REFRESH_LEAD_SECONDS', '3001'],
    ['REFRESH_SPREAD_SECONDS', '-1'],
    ['REFRESH_SPREAD_SECONDS', '1801'],
    ['SECRETS_WRITES_PER_SECOND', '0'],
    ['SECRETS_WRITES_PER_SECOND', '51'],
    ['REFRESH_CONCURRENCY', '65'],
    ['LWA_MAX_CONCURRENCY', 'many'],
    ['LEASE_SECONDS', '29'],
    ['LWA_MAX_ATTEMPTS', '11'],
    ['REFRESH_RUN_BUDGET_SECONDS', '4'],
    ['REFRESH_TICK_SECONDS', '59'],
    ['REFRESH_TICK_SECONDS', 'rate(1 minute)'],
    ['REFRESH_DRAIN_SECONDS', '3601'],
    ['REFRESH_STOP_BEFORE_TIMEOUT_SECONDS', '1.5'],
  ])('names %s when it is malformed (%s)', (variable, raw) => {
    // Act
    const load = () => loadRefreshConfig({ ...MINIMAL_ENV, [variable]: raw });

    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(`Environment variable ${variable} `);
  });
});

describe('parseGrantlessScopes', () => {
  it('reads region → scopes and drops duplicates', () => {
    expect(
      parseGrantlessScopes(
        '{"NA":["sellingpartnerapi::notifications","sellingpartnerapi::notifications"],"EU":[]}',
      ),
    ).toEqual({ NA: ['sellingpartnerapi::notifications'], EU: [] });
  });

  it.each([
    ['not JSON', '{', /GRANTLESS_SCOPES must be JSON/],
    ['an array', '[]', /JSON object of region/],
    ['an unknown region', '{"XX":["profile"]}', /unknown region "XX"/],
    ['a scope with a space', '{"NA":["a b"]}', /scopes matching/],
  ])('rejects %s, naming the variable', (_, raw, message) => {
    expect(() => parseGrantlessScopes(raw)).toThrow(message);
  });
});
