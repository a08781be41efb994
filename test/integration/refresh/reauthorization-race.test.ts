import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { loadRefreshConfig } from '../../../lambda/refresh/config';
import { type RefreshRunSummary, runRefresh } from '../../../lambda/refresh/refresher';
import { createRefreshDeps } from '../../../lambda/refresh/wiring';
import { parseTokenSecret, type TokenSecretValue } from '../../../lambda/shared/token-secret';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { AuthTestBed, newSellerId } from '../auth/auth-test-bed';

/**
 * Invariant 9 through the real /authorize and /callback handlers: LWA holds the refresher's answer
 * for the old refresh token while the seller authorizes again, then lets it go.
 */
describe('a re-authorization while a refresh of the old token is in flight (moto + LWA emulator)', () => {
  let bed: AuthTestBed;
  let logs: LogCapture;
  const leakable: string[] = [];

  beforeAll(() => {
    logs = captureLogs();
  });

  // A deployment per test, so the other test's seller is never due in this one's run.
  beforeEach(async () => {
    bed = await AuthTestBed.start();
  });

  afterEach(async () => {
    leakable.push(...bed.emulator.issuedSecrets(), ...bed.clientSecrets);
    await bed.stop();
  });

  afterAll(() => {
    logs.restore();
    expect(leakable.length).toBeGreaterThan(0);
    expect(logs.leaksOf(leakable)).toEqual([]);
  });

  /** The seller's first authorization, then a refresher that sees it due (55 minutes later). */
  async function authorizedSellerAndRefresher(sellerId: string) {
    const first = await bed.consentedCallback(sellerId);
    expect((await bed.callback(first.query)).statusCode).toBe(200);
    const config = loadRefreshConfig(bed.deployment.env);
    const deps = createRefreshDeps(config, {
      log: new Logger({ serviceName: 'reauthorization-race-test' }),
      // The refresher's clock runs 55 minutes ahead, so the one-hour token is due; nothing sleeps.
      clock: () => Date.now() + 55 * 60_000,
      sleep: async () => {},
      secretsManager: bed.deployment.secretsManager,
      documentClient: bed.deployment.documentClient,
    });
    return { refresh: () => runRefresh(deps, { deadlineMs: Number.POSITIVE_INFINITY }) };
  }

  async function currentSecret(sellerId: string): Promise<TokenSecretValue & { versionId: string }> {
    const name = bed.secretName('EU', sellerId);
    const output = await bed.deployment.secretsManager.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }),
    );
    // The token client reads without a stage; both reads must agree.
    const unstaged = await bed.deployment.secretsManager.send(new GetSecretValueCommand({ SecretId: name }));
    expect(unstaged.VersionId).toBe(output.VersionId);
    return { ...parseTokenSecret(name, output.SecretString), versionId: output.VersionId ?? '' };
  }

  async function reauthorize(sellerId: string): Promise<TokenSecretValue> {
    const again = await bed.consentedCallback(sellerId);
    expect((await bed.callback(again.query)).statusCode).toBe(200);
    return currentSecret(sellerId);
  }

  async function expectAuthorizationWon(sellerId: string, authorized: TokenSecretValue) {
    const stored = await currentSecret(sellerId);
    expect(stored.refreshToken).toBe(authorized.refreshToken);
    expect(bed.emulator.isRefreshTokenValid(stored.refreshToken as string)).toBe(true);
    const item = await bed.sellerItem(sellerId, 'EU');
    expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
    expect(item).not.toHaveProperty('lastError');
    expect(item).not.toHaveProperty('leaseOwner');
    expect(item?.nextRefreshAt).toEqual(expect.any(Number));
    expect(item?.nextRefreshAt as number).toBeGreaterThan(Date.now() / 1000 + 40 * 60);
    // The fence is the authorization's secret version, and no later version of the secret is live.
    const described = await bed.deployment.secretsManager.send(
      new DescribeSecretCommand({ SecretId: bed.secretName('EU', sellerId) }),
    );
    const current = Object.entries(described.VersionIdsToStages ?? {}).filter(([, stages]) =>
      stages.includes('AWSCURRENT'),
    );
    expect(current).toHaveLength(1);
    return item;
  }

  it('LWA validated the old token before the re-authorization: the refresh leaves the new tokens and the item alone', async () => {
    // Prepare: LWA rotates on refresh, so the stale answer carries a refresh token of its own
    const sellerId = newSellerId();
    const { refresh } = await authorizedSellerAndRefresher(sellerId);
    bed.emulator.setRotation('every-refresh');
    const held = bed.emulator.hold({
      grantType: 'refresh_token',
      subject: sellerId,
      phase: 'after-validation',
    });

    // Act: the refresh waits for its answer while the seller authorizes again, then gets it
    let summary: RefreshRunSummary | undefined;
    const refreshing = refresh().then((s) => {
      summary = s;
    });
    await held.arrived;
    const authorized = await reauthorize(sellerId);
    held.release();
    await refreshing;
    bed.emulator.setRotation('never');

    // Assess
    await expectAuthorizationWon(sellerId, authorized);
    expect(summary).toMatchObject({ due: 1, refreshed: 0, superseded: 1, reauthRequired: 0, degraded: 0 });
  });

  it('LWA validated the old token after the seller revoked and reconnected: invalid_grant does not mark the seller', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { refresh } = await authorizedSellerAndRefresher(sellerId);
    const held = bed.emulator.hold({
      grantType: 'refresh_token',
      subject: sellerId,
      phase: 'before-validation',
    });

    // Act: the seller revokes the app and authorizes it again while the refresh is on its way
    let summary: RefreshRunSummary | undefined;
    const refreshing = refresh().then((s) => {
      summary = s;
    });
    await held.arrived;
    bed.emulator.revokeRefreshTokens(sellerId);
    const authorized = await reauthorize(sellerId);
    held.release();
    await refreshing;

    // Assess: LWA did reject the old token, and nothing of it reached the seller's item
    const answered = bed.emulator.requests.filter(
      (r) => r.grantType === 'refresh_token' && r.subject === sellerId,
    );
    expect(answered.map((r) => r.status)).toEqual([400]);
    await expectAuthorizationWon(sellerId, authorized);
    expect(summary).toMatchObject({ due: 1, reauthRequired: 0, superseded: 1, degraded: 0 });
  });
});
