import { createHash } from 'node:crypto';
import { GetSecretValueCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

// The real /authorize and /callback handlers against moto and the LWA emulator over HTTP.

const SELLER = 'A2EUQ1WTGCTBG2';
const CONTRACT_KEYS = [
  'sellerId',
  'region',
  'accessToken',
  'accessTokenExpiresAt',
  'refreshToken',
  'tokenType',
  'updatedAt',
];

let logs: LogCapture;
let bed: AuthTestBed;
let draftBed: AuthTestBed;
let rotationBed: AuthTestBed;
let unconfiguredBed: AuthTestBed;

beforeAll(async () => {
  logs = captureLogs();
  [bed, draftBed, rotationBed, unconfiguredBed] = await Promise.all([
    AuthTestBed.start(),
    AuthTestBed.start({ draft: true }),
    // Mid-rotation: the app secret already holds a new client secret LWA does not know yet.
    AuthTestBed.start({
      clientSecret: 'new-client-secret-not-yet-active',
      extraAppSecretFields: {
        previousClientSecret: 'emulator-client-secret',
        previousClientSecretExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    }),
    // Deployed without an application id, and the operator has not put the real credentials in
    // the app secret yet.
    AuthTestBed.start({ clientSecret: 'REPLACE_ME', env: { APPLICATION_ID: '' } }),
  ]);
});

afterAll(async () => {
  logs.restore();
  await Promise.all([bed, draftBed, rotationBed, unconfiguredBed].map((b) => b?.stop()));
});

async function secretValue(name: string, stage = 'AWSCURRENT') {
  const output = await bed.deployment.secretsManager.send(
    new GetSecretValueCommand({ SecretId: name, VersionStage: stage }),
  );
  return {
    versionId: output.VersionId,
    value: JSON.parse(output.SecretString ?? 'null') as Record<string, unknown>,
  };
}

async function authorizeSeller(target: AuthTestBed, sellerId: string) {
  const { query } = await target.consentedCallback(sellerId);
  const response = await target.callback(query);
  if (response.statusCode !== 200)
    throw new Error(`/callback answered ${response.statusCode}: ${response.body}`);
  return response;
}

describe('GET /authorize', () => {
  it('redirects to the EU Seller Central consent page with the application id and a state', async () => {
    // Act
    const response = await bed.authorize([['region', 'EU']]);

    // Assess
    expect(response.statusCode).toBe(302);
    expectSecurityHeaders(response);
    const location = locationOf(response);
    expect(location).toMatch(
      /^https:\/\/sellercentral-europe\.amazon\.com\/apps\/authorize\/consent\?application_id=[^&]+&state=[A-Za-z0-9_-]{43}$/,
    );
    expect(new URL(location).searchParams.get('application_id')).toBe(EMULATOR_APPLICATION_ID);
  });

  it.each([
    ['NA', 'sellercentral.amazon.com'],
    ['FE', 'sellercentral.amazon.co.jp'],
  ])('sends %s sellers to %s', async (region, host) => {
    // Act
    const response = await bed.authorize([['region', region]]);

    // Assess
    expect(response.statusCode).toBe(302);
    expect(new URL(locationOf(response)).host).toBe(host);
  });

  it('stores the state hashed, bound to the region, expiring within 10 minutes', async () => {
    // Prepare
    const before = Math.floor(Date.now() / 1000);

    // Act
    const state = await bed.newState('FE');

    // Assess
    const after = Math.ceil(Date.now() / 1000);
    const items = await bed.scan(bed.deployment.stateTableName);
    expect(JSON.stringify(items)).not.toContain(state);
    const hashed = `state#${createHash('sha256').update(state).digest('base64url')}`;
    const created = items.find((i) => i.pk === hashed);
    expect(created).toMatchObject({ region: 'FE' });
    expect(created).not.toHaveProperty('sellerId');
    const expiresAt = created?.expiresAt as number;
    expect(expiresAt).toBeGreaterThan(after);
    expect(expiresAt).toBeLessThanOrEqual(before + 600 + 1);
  });

  it('adds version=beta for a draft application', async () => {
    // Act
    const response = await draftBed.authorize([['region', 'EU']]);

    // Assess
    expect(response.statusCode).toBe(302);
    const url = new URL(locationOf(response));
    expect(url.searchParams.get('version')).toBe('beta');
    expect([...url.searchParams.keys()]).toEqual(['application_id', 'state', 'version']);
  });

  it('has no version parameter for a published application', async () => {
    // Act
    const response = await bed.authorize([['region', 'NA']]);

    // Assess
    expect(new URL(locationOf(response)).searchParams.has('version')).toBe(false);
  });

  it.each([
    ['missing', [] as Array<[string, string]>, 'The region parameter is missing.'],
    ['lower-case', [['region', 'eu']] as Array<[string, string]>, 'The region parameter is malformed.'],
    ['unknown', [['region', 'US']] as Array<[string, string]>, 'The region parameter is malformed.'],
    [
      'duplicated',
      [
        ['region', 'EU'],
        ['region', 'NA'],
      ] as Array<[string, string]>,
      'The region parameter is duplicated.',
    ],
  ])('answers 400 for a %s region and creates no state', async (_, query, message) => {
    // Prepare
    const statesBefore = (await bed.scan(bed.deployment.stateTableName)).length;

    // Act
    const response = await bed.authorize(query);

    // Assess
    expectRejected(response, 400, message);
    expect(await bed.scan(bed.deployment.stateTableName)).toHaveLength(statesBefore);
  });
});

describe('GET /callback after consent', () => {
  it('stores the tokens for the seller and answers a page without any token', async () => {
    // Prepare
    const consent = await bed.authorize([['region', 'EU']]);
    const state = new URL(locationOf(consent)).searchParams.get('state') ?? '';
    const code = bed.emulator.issueAuthorizationCode({ sellerId: SELLER });
    const before = Math.floor(Date.now() / 1000);

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', SELLER],
      ['spapi_oauth_code', code],
    ]);

    // Assess: the page
    const after = Math.ceil(Date.now() / 1000);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Content-Type': 'text/html; charset=utf-8' });
    expectSecurityHeaders(response);
    expect(response.body).toContain(`Seller ${SELLER} (EU) has authorized this application`);
    expect(response.body).not.toContain(code);
    expect(response.body).not.toMatch(/Atz[ar]\|/);

    // Assess: the secret holds the contract JSON with tokens LWA considers valid
    const name = bed.secretName('EU', SELLER);
    const { value } = await secretValue(name);
    expect(Object.keys(value)).toEqual(CONTRACT_KEYS);
    expect(value).toMatchObject({ sellerId: SELLER, region: 'EU', tokenType: 'bearer' });
    expect(bed.emulator.isAccessTokenValid(value.accessToken as string)).toBe(true);
    expect(bed.emulator.isRefreshTokenValid(value.refreshToken as string)).toBe(true);
    expect(value.refreshToken).toBe(bed.emulator.currentRefreshToken(SELLER));
    const updatedAt = Date.parse(value.updatedAt as string) / 1000;
    expect(updatedAt).toBeGreaterThanOrEqual(before);
    expect(updatedAt).toBeLessThanOrEqual(after);
    expect(Date.parse(value.accessTokenExpiresAt as string) / 1000).toBe(Math.floor(updatedAt) + 3600);
    expect(response.body).not.toContain(value.accessToken as string);
    expect(response.body).not.toContain(value.refreshToken as string);

    // Assess: encrypted with the stack's key and tagged
    const description = await bed.describeSecret(name);
    expect(description.KmsKeyId).toBe(bed.deployment.kmsKeyArn);
    expect(description.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'sellerId', Value: SELLER },
        { Key: 'region', Value: 'EU' },
      ]),
    );

    // Assess: the table item
    const item = await bed.sellerItem(SELLER, 'EU');
    expect(item).toMatchObject({ status: 'ACTIVE', secretName: name, failureCount: 0 });
    expect(item).not.toHaveProperty('lastError');
    const authorizedAt = item?.authorizedAt as number;
    expect(authorizedAt).toBeGreaterThanOrEqual(before);
    expect(authorizedAt).toBeLessThanOrEqual(after);
    expect(item?.accessTokenExpiresAt).toBe(authorizedAt + 3600);
    const nextRefreshAt = item?.nextRefreshAt as number;
    expect(nextRefreshAt).toBeGreaterThanOrEqual(authorizedAt + 3600 - 600 - 300);
    expect(nextRefreshAt).toBeLessThanOrEqual(authorizedAt + 3600 - 600);
    expect(bed.emulator.callCount('authorization_code')).toBe(1);
  });

  it('schedules the refresh on the expires_in LWA returned', async () => {
    // Prepare
    const sellerId = newSellerId();
    bed.emulator.setExpiresIn(1800);

    // Act
    try {
      await authorizeSeller(bed, sellerId);
    } finally {
      bed.emulator.setExpiresIn(3600);
    }

    // Assess
    const item = await bed.sellerItem(sellerId, 'EU');
    const authorizedAt = item?.authorizedAt as number;
    expect(item?.accessTokenExpiresAt).toBe(authorizedAt + 1800);
    expect(item?.nextRefreshAt).toBeGreaterThanOrEqual(authorizedAt + 1800 - 600 - 300);
    expect(item?.nextRefreshAt).toBeLessThanOrEqual(authorizedAt + 1800 - 600);
    const { value } = await secretValue(bed.secretName('EU', sellerId));
    expect(Date.parse(value.accessTokenExpiresAt as string) / 1000).toBe(authorizedAt + 1800);
  });

  it('accepts a region parameter that agrees with the state', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query } = await bed.consentedCallback(sellerId);

    // Act
    const response = await bed.callback([...query, ['region', 'EU']]);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await bed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
  });

  it('completes a draft application’s authorization the same way', async () => {
    // Prepare
    const sellerId = newSellerId();

    // Act
    const response = await authorizeSeller(draftBed, sellerId);

    // Assess
    expectSecurityHeaders(response);
    expect(await draftBed.tokenSecretNames()).toContain(draftBed.secretName('EU', sellerId));
  });

  it('falls back to the previous client secret while LWA still only knows that one', async () => {
    // Prepare
    const sellerId = newSellerId();

    // Act
    const response = await authorizeSeller(rotationBed, sellerId);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(rotationBed.emulator.requests.map((r) => r.status)).toEqual([401, 200]);
    expect(await rotationBed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
  });
});

describe('re-authorization of a known seller', () => {
  it.each(['REAUTH_REQUIRED', 'DEGRADED'])(
    'writes a new secret version, keeps the old one as AWSPREVIOUS and returns a %s seller to ACTIVE',
    async (status) => {
      // Prepare
      const sellerId = newSellerId();
      await authorizeSeller(bed, sellerId);
      const name = bed.secretName('EU', sellerId);
      const first = await secretValue(name);
      await bed.deployment.documentClient.send(
        new UpdateCommand({
          TableName: bed.deployment.sellerTableName,
          Key: { sellerId, region: 'EU' },
          UpdateExpression:
            'SET #status = :status, failureCount = :failures, lastError = :error REMOVE nextRefreshAt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':failures': 4, ':error': 'invalid_grant' },
        }),
      );

      // Act
      const response = await authorizeSeller(bed, sellerId);

      // Assess
      expect(response.statusCode).toBe(200);
      const current = await secretValue(name);
      const previous = await secretValue(name, 'AWSPREVIOUS');
      expect(current.versionId).not.toBe(first.versionId);
      expect(previous).toEqual(first);
      expect(current.value.refreshToken).not.toBe(first.value.refreshToken);
      expect(bed.emulator.isRefreshTokenValid(current.value.refreshToken as string)).toBe(true);
      const versions = await bed.deployment.secretsManager.send(
        new ListSecretVersionIdsCommand({ SecretId: name }),
      );
      const stages = Object.fromEntries((versions.Versions ?? []).map((v) => [v.VersionId, v.VersionStages]));
      expect(stages[current.versionId ?? '']).toEqual(['AWSCURRENT']);
      expect(stages[first.versionId ?? '']).toEqual(['AWSPREVIOUS']);
      const item = await bed.sellerItem(sellerId, 'EU');
      expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
      expect(item).not.toHaveProperty('lastError');
      expect(item?.nextRefreshAt).toEqual(expect.any(Number));
    },
  );
});

describe('an application whose credentials are still placeholders', () => {
  it('answers every route with a 503 page that carries the security headers, and writes nothing', async () => {
    // Prepare
    const sellerId = newSellerId();
    const state = await bed.newState('EU');
    const before = await unconfiguredBed.snapshot();

    // Act
    const responses = [
      await unconfiguredBed.authorize([['region', 'EU']]),
      await unconfiguredBed.login([
        ['amazon_callback_uri', 'https://sellercentral.amazon.com/apps/authorize/confirm/x'],
        ['amazon_state', 'amazon-state'],
      ]),
      await unconfiguredBed.callback([
        ['state', state],
        ['selling_partner_id', sellerId],
        ['spapi_oauth_code', unconfiguredBed.emulator.issueAuthorizationCode({ sellerId })],
      ]),
    ];

    // Assess
    for (const response of responses) expectRejected(response, 503, 'This application is not fully set up.');
    expect(await unconfiguredBed.snapshot()).toEqual(before);
    expect(await unconfiguredBed.scan(unconfiguredBed.deployment.stateTableName)).toEqual([]);
    expect(unconfiguredBed.emulator.callCount()).toBe(0);
  });
});

describe('secrets stay out of logs and responses', () => {
  it('never logged or answered a code, a token or a client secret', () => {
    expectNoSecretsLeaked([bed, draftBed, rotationBed, unconfiguredBed], logs, 'Seller authorized');
  });
});
