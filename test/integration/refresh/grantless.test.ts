import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { TokenClient } from '../../../lambda/client';
import type { Region } from '../../../lambda/shared/regions';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const NOTIFICATIONS = 'sellingpartnerapi::notifications';
const ROTATION = 'sellingpartnerapi::client_credential:rotation';
/** Not among the emulator's allowed grantless scopes, so LWA answers invalid_scope. */
const FORBIDDEN = 'sellingpartnerapi::forbidden';

describe('grantless tokens (moto + LWA emulator)', () => {
  let harness: RefreshHarness;
  let logs: LogCapture;

  beforeAll(async () => {
    logs = captureLogs();
    harness = await startRefreshHarness({
      defaultEmulator: { expiresIn: 3600 },
      env: {
        GRANTLESS_SCOPES: JSON.stringify({
          NA: [NOTIFICATIONS, ROTATION],
          EU: [NOTIFICATIONS, ROTATION, FORBIDDEN],
        }),
      },
    });
  });

  afterAll(async () => {
    logs.restore();
    await harness.stop();
  });

  it('obtains the first tokens on the first run and keeps two scopes in two regions fresh for the client', async () => {
    // Prepare: a seller too, to show grantless items don't disturb sellers
    const [sellerId] = sellerIds(1, 'GL') as [string];
    await harness.authorize([{ sellerId, region: 'NA' }]);
    const client = new TokenClient({
      secretPrefix: harness.config.tokenSecretPrefix,
      clock: harness.clock.now,
    });
    const lwa = harness.lwa.NA;

    // Act: the first run indexes the scopes and obtains their tokens
    const first = await harness.run();

    // Assess
    expect(first.refreshed).toBe(4);
    for (const region of ['NA', 'EU'] as Region[]) {
      for (const scope of [NOTIFICATIONS, ROTATION]) {
        const token = await client.getGrantlessToken({ scope, region });
        expect(lwa.isAccessTokenValid(token.accessToken)).toBe(true);
        const item = await harness.readItem(`grantless#${scope}`, region);
        expect(item).toMatchObject({ kind: 'grantless', scope, status: 'ACTIVE' });
      }
    }
    const name = `${harness.config.tokenSecretPrefix}/grantless/NA/sellingpartnerapi-notifications`;
    const stored = await harness.deployment.secretsManager.send(
      new GetSecretValueCommand({ SecretId: name }),
    );
    const value = JSON.parse(stored.SecretString as string);
    expect(Object.keys(value)).toEqual([
      'scope',
      'region',
      'accessToken',
      'accessTokenExpiresAt',
      'tokenType',
      'updatedAt',
    ]);
    expect(value).toMatchObject({ scope: NOTIFICATIONS, region: 'NA', tokenType: 'bearer' });
    const described = await harness.deployment.secretsManager.send(
      new DescribeSecretCommand({ SecretId: name }),
    );
    expect(described.KmsKeyId).toBe(harness.deployment.kmsKeyArn);
    expect(described.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'scope', Value: NOTIFICATIONS },
        { Key: 'region', Value: 'NA' },
      ]),
    );

    // Act: six hours of runs every two minutes, the client reading all four tokens after each
    const start = harness.clock.now();
    const expired: string[] = [];
    while (harness.clock.now() < start + 6 * 3600_000) {
      harness.clock.advanceTo(harness.clock.now() + 120_000);
      await harness.run();
      for (const region of ['NA', 'EU'] as Region[]) {
        for (const scope of [NOTIFICATIONS, ROTATION]) {
          const token = await client.getGrantlessToken({ scope, region });
          if (!lwa.isAccessTokenValid(token.accessToken)) expired.push(`${region} ${scope}`);
        }
      }
    }

    // Assess: always valid; about one client_credentials call per lifetime per scope (≈ 7 in 6 h)
    expect(expired).toEqual([]);
    const grants = lwa.callCount('client_credentials');
    expect(grants).toBeGreaterThanOrEqual(4 * 7);
    expect(grants).toBeLessThanOrEqual(4 * 10 + 30); // plus the hourly invalid_scope retries
    expect(
      lwa.requests.filter((r) => r.grantType === 'refresh_token' && r.subject === sellerId).length,
    ).toBeGreaterThanOrEqual(6);
    expect((await harness.readItem(sellerId, 'NA'))?.status).toBe('ACTIVE');
  }, 300_000);

  it('marks only the scope LWA refuses (invalid_scope), with a clear lastError and an app-level log', async () => {
    // Assess: the state the first test's runs left
    const refused = await harness.readItem(`grantless#${FORBIDDEN}`, 'EU');
    expect(refused).toMatchObject({ status: 'DEGRADED', lastError: 'invalid_scope', kind: 'grantless' });
    // Looked at again hourly, not every tick.
    const refusedCalls = harness.lwa.NA.requests.filter(
      (r) => r.grantType === 'client_credentials' && r.status === 400,
    );
    expect(refusedCalls.length).toBeGreaterThanOrEqual(6);
    expect(refusedCalls.length).toBeLessThanOrEqual(8);
    for (const scope of [NOTIFICATIONS, ROTATION]) {
      expect((await harness.readItem(`grantless#${scope}`, 'EU'))?.status).toBe('ACTIVE');
    }
    const lines = logs.lines.filter((l) => l.includes('invalid_scope') && l.includes(FORBIDDEN));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toContain('"level":"ERROR"');
    expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
  });
});
