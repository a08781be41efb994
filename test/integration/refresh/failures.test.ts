import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Region } from '../../../lambda/shared/regions';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const REGIONS: Region[] = ['NA', 'EU', 'FE'];
/** Far enough past authorization that every seller authorized "now" is due. */
const UNTIL_DUE_MS = 3300_000;
/**
 * A hung connection never answers, so it always ends at the timeout however short it is, and a
 * short one keeps the test quick. LWA answers that do arrive (5xx, 429) must never race it: on a
 * loaded machine an answer can take longer than a short timeout to be read, and would then be
 * classified as a timeout.
 */
const HUNG_LWA_TIMEOUT_MS = 300;
const ANSWERING_LWA_TIMEOUT_MS = 30_000;

describe('refresh failures (moto + LWA emulator)', () => {
  let harness: RefreshHarness;
  let logs: LogCapture;
  let proxy: FaultProxy;

  const leaked = new Set<string>();

  beforeAll(async () => {
    logs = captureLogs();
    proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL as string);
  });

  afterAll(async () => {
    logs.restore();
    await proxy.stop();
  });

  // Each test gets its own tables, token prefix and emulator, so no other seller is ever due.
  beforeEach(async () => {
    harness = await startRefreshHarness({ defaultEmulator: { rotation: 'every-refresh', expiresIn: 3600 } });
  });

  afterEach(async () => {
    for (const secret of harness.issuedSecrets()) leaked.add(secret);
    proxy.reset();
    await harness.stop();
  });

  /** Authorizes sellers and moves time on until they are all due. */
  async function dueSellers(count: number, tag: string) {
    const sellers = sellerIds(count, tag).map((sellerId, i) => ({
      sellerId,
      region: REGIONS[i % 3] as Region,
    }));
    await harness.authorize(sellers);
    harness.clock.advance(UNTIL_DUE_MS);
    return sellers;
  }

  it('marks only the seller LWA answers invalid_grant for as REAUTH_REQUIRED; the other 49 are refreshed', async () => {
    // Prepare
    const sellers = await dueSellers(50, 'IG');
    const revoked = sellers[17] as { sellerId: string; region: Region };
    harness.lwa.NA.revokeRefreshTokens(revoked.sellerId);

    // Act
    const summary = await harness.run();

    // Assess
    expect(summary.reauthRequired).toBe(1);
    expect(summary.refreshed).toBe(49);
    const item = await harness.readItem(revoked.sellerId, revoked.region);
    expect(item).toMatchObject({ status: 'REAUTH_REQUIRED', lastError: 'invalid_grant' });
    expect(item?.nextRefreshAt).toBeUndefined();
    for (const seller of sellers.filter((s) => s !== revoked)) {
      expect((await harness.readItem(seller.sellerId, seller.region))?.status).toBe('ACTIVE');
    }
    // Not retried: later runs, while the others keep being refreshed, never call LWA for it again.
    harness.clock.advance(UNTIL_DUE_MS);
    const later = await harness.run();
    expect(later.refreshed).toBe(49);
    const revokedCalls = harness.lwa.NA.requests.filter(
      (r) => r.subject === revoked.sellerId && r.grantType === 'refresh_token',
    );
    expect(revokedCalls).toHaveLength(1);
  });

  it('stops the run on invalid_client and marks no seller', async () => {
    // Prepare
    const sellers = await dueSellers(20, 'IC');
    const before = await Promise.all(sellers.map((s) => harness.readItem(s.sellerId, s.region)));
    harness.lwa.NA.injectFault({
      kind: 'oauth-error',
      error: 'invalid_client',
      grantType: 'refresh_token',
      times: 1000,
    });

    // Act
    const summary = await harness.run({ config: { concurrency: 4 } });

    // Assess
    expect(summary.appFault).toBe('invalid_client');
    expect(summary.refreshed).toBe(0);
    expect(summary.reauthRequired + summary.degraded).toBe(0);
    // It stopped early: at most one call per worker, not one per seller.
    expect(
      harness.lwa.NA.requests.filter((r) => r.grantType === 'refresh_token' && r.status === 401).length,
    ).toBeLessThanOrEqual(4);
    const after = await Promise.all(sellers.map((s) => harness.readItem(s.sellerId, s.region)));
    after.forEach((item, i) => {
      expect(item?.status).toBe('ACTIVE');
      expect(item?.nextRefreshAt).toBe(before[i]?.nextRefreshAt);
      expect(item?.leaseOwner).toBeUndefined();
    });
    expect(logs.lines.filter((l) => l.includes('LWA rejected the app credentials'))).toHaveLength(1);
  });

  it('treats app credentials that still hold placeholders as an app fault: no seller is marked', async () => {
    // Prepare
    const sellers = await dueSellers(5, 'PH');
    await harness.deployment.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: harness.deployment.appSecretId,
        SecretString: JSON.stringify({
          clientId: 'REPLACE_ME',
          clientSecret: 'REPLACE_ME',
          applicationId: 'REPLACE_ME',
        }),
      }),
    );

    // Act
    const summary = await harness.run();

    // Assess
    expect(summary.appFault).toBe('app_credentials_unusable');
    expect(summary.degraded + summary.reauthRequired + summary.refreshed).toBe(0);
    expect(harness.lwa.NA.callCount('refresh_token')).toBe(0);
    for (const seller of sellers) {
      const item = await harness.readItem(seller.sellerId, seller.region);
      expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
      expect(item?.leaseOwner).toBeUndefined();
    }
    const faultLines = logs.lines.filter((l) => l.includes('app_credentials_unusable'));
    expect(faultLines).toHaveLength(1);
    expect(faultLines[0]).toContain('placeholder');
  });

  it.each([
    ['5xx', { kind: 'status', status: 500 } as const],
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfterSeconds: 2 } as const],
    ['a hung connection', { kind: 'hang' } as const],
  ])(
    'after %s a seller is DEGRADED, retried later, and ACTIVE again once LWA recovers, before its token expires',
    async (_, fault) => {
      // Prepare
      const [seller] = (await dueSellers(
        1,
        `DG${fault.kind[0]}${'status' in fault ? fault.status : ''}`,
      )) as [{ sellerId: string; region: Region }];
      const authorizedItem = await harness.readItem(seller.sellerId, seller.region);
      harness.lwa.NA.injectFault({
        ...fault,
        subject: seller.sellerId,
        grantType: 'refresh_token',
        times: 3,
      });

      // Act: the first run fails three attempts
      const failed = await harness.run({
        runtime: { lwaTimeoutMs: fault.kind === 'hang' ? HUNG_LWA_TIMEOUT_MS : ANSWERING_LWA_TIMEOUT_MS },
      });
      const degraded = await harness.readItem(seller.sellerId, seller.region);

      // Assess
      expect(failed.degraded).toBe(1);
      expect(degraded).toMatchObject({ status: 'DEGRADED', failureCount: 1 });
      expect(degraded?.lastError).toBe(
        fault.kind === 'hang' ? 'timeout' : fault.status === 429 ? 'TooManyRequests' : 'server_error',
      );
      const expiresAt = authorizedItem?.accessTokenExpiresAt as number;
      expect(degraded?.nextRefreshAt).toBeGreaterThan(Math.floor(harness.clock.now() / 1000));
      expect(degraded?.nextRefreshAt).toBeLessThanOrEqual(expiresAt - 120);

      // Act: LWA has recovered (the fault was used up); the next run once it is due again
      harness.clock.advanceTo((degraded?.nextRefreshAt as number) * 1000);
      const recovered = await harness.run();

      // Assess
      expect(recovered.refreshed).toBe(1);
      expect(harness.clock.now()).toBeLessThan(expiresAt * 1000);
      const item = await harness.readItem(seller.sellerId, seller.region);
      expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
      expect(item?.lastError).toBeUndefined();
      const secret = await harness.readSecret(seller.sellerId, seller.region);
      expect(harness.lwa.NA.isAccessTokenValid(secret.accessToken)).toBe(true);
      expect(secret.refreshToken).toBe(harness.lwa.NA.currentRefreshToken(seller.sellerId));
    },
  );

  it.each([['expires_in'], ['access_token']] as const)(
    'stores the refresh token LWA rotated in a 200 without %s, and the retry a minute later refreshes with it',
    async (field) => {
      // Prepare: LWA really rotates (the old refresh token dies) but its answer lacks a field
      const [seller] = (await dueSellers(1, `IN${field[0]?.toUpperCase()}`)) as [
        { sellerId: string; region: Region },
      ];
      harness.lwa.NA.injectFault({
        kind: 'drop-fields',
        fields: [field],
        subject: seller.sellerId,
        grantType: 'refresh_token',
      });

      // Act
      const first = await harness.run();

      // Assess: the new refresh token is stored, the access token is marked expired
      expect(first).toMatchObject({ degraded: 1, rotationsStored: 1, unpersistedRotations: 0 });
      const stored = await harness.readSecret(seller.sellerId, seller.region);
      expect(stored.refreshToken).toBe(harness.lwa.NA.currentRefreshToken(seller.sellerId));
      expect(Date.parse(stored.accessTokenExpiresAt)).toBeLessThanOrEqual(harness.clock.now());
      const degraded = await harness.readItem(seller.sellerId, seller.region);
      expect(degraded).toMatchObject({ status: 'DEGRADED', lastError: 'incomplete_token_response' });
      expect(degraded?.nextRefreshAt).toBeLessThanOrEqual(Math.floor(harness.clock.now() / 1000) + 300);

      // Act: the retry, once due
      harness.clock.advanceTo((degraded?.nextRefreshAt as number) * 1000);
      const retry = await harness.run();

      // Assess
      expect(retry.refreshed).toBe(1);
      expect(await harness.readItem(seller.sellerId, seller.region)).toMatchObject({ status: 'ACTIVE' });
      const refreshed = await harness.readSecret(seller.sellerId, seller.region);
      expect(harness.lwa.NA.isAccessTokenValid(refreshed.accessToken)).toBe(true);
      expect(refreshed.refreshToken).toBe(harness.lwa.NA.currentRefreshToken(seller.sellerId));
    },
  );

  it('retries PutSecretValue after LWA rotated the token, with the same ClientRequestToken, until the new token is stored', async () => {
    // Prepare: a Secrets Manager client that goes through the fault proxy
    const [seller] = (await dueSellers(1, 'PW')) as [{ sellerId: string; region: Region }];
    const throughProxy = new SecretsManagerClient({ endpoint: proxy.url, maxAttempts: 1 });
    proxy.failNext({ operation: 'secretsmanager.PutSecretValue', times: 2, response: 'throttle' });
    proxy.failNext({ operation: 'secretsmanager.PutSecretValue', times: 2, response: 'internal-error' });

    // Act
    const summary = await harness.run({ runtime: { secretsManager: throughProxy } });

    // Assess
    expect(summary.refreshed).toBe(1);
    expect(summary.secretWriteRetries).toBe(4);
    const puts = proxy.requests.filter((r) => r.operation === 'secretsmanager.PutSecretValue');
    expect(puts).toHaveLength(5);
    const tokens = new Set(puts.map((r) => JSON.parse(r.body).ClientRequestToken));
    expect(tokens.size).toBe(1);
    const stored = await harness.readSecret(seller.sellerId, seller.region);
    expect(stored.refreshToken).toBe(harness.lwa.NA.currentRefreshToken(seller.sellerId));
  });

  it('stores a rotated token whose PutSecretValue another writer throttles for 20 seconds of wall time', async () => {
    // Prepare: two due sellers; once LWA has rotated the first one's token, every write of its
    // secret is throttled for 20 s of real time, far past the old 5 × 3 attempts (about 7 s)
    const sellers = (await dueSellers(2, 'TH')) as Array<{ sellerId: string; region: Region }>;
    const [burst, other] = sellers as [(typeof sellers)[0], (typeof sellers)[0]];
    const throughProxy = new SecretsManagerClient({ endpoint: proxy.url, maxAttempts: 1 });
    const secretName = `${harness.config.tokenSecretPrefix}/sellers/${burst.region}/${burst.sellerId}`;
    proxy.failNext({
      operation: 'secretsmanager.PutSecretValue',
      bodyIncludes: JSON.stringify(secretName),
      forMs: 20_000,
      response: 'throttle',
    });
    // The retries wait in real time, so the burst really passes; the simulated clock follows.
    const sleep = async (ms: number) => {
      harness.clock.advance(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    };

    // Act
    const summary = await harness.run({ runtime: { secretsManager: throughProxy, sleep } });

    // Assess
    expect(summary).toMatchObject({ refreshed: 2, rotationsStored: 2, unpersistedRotations: 0 });
    const burstPuts = proxy.requests.filter(
      (r) => r.operation === 'secretsmanager.PutSecretValue' && r.body.includes(JSON.stringify(secretName)),
    );
    expect(burstPuts.filter((r) => r.fault === 'throttle').length).toBeGreaterThan(5);
    expect(burstPuts.at(-1)?.status).toBe(200);
    expect(new Set(burstPuts.map((r) => JSON.parse(r.body).ClientRequestToken)).size).toBe(1);
    for (const seller of [burst, other]) {
      const stored = await harness.readSecret(seller.sellerId, seller.region);
      expect(stored.refreshToken).toBe(harness.lwa[seller.region].currentRefreshToken(seller.sellerId));
      expect(await harness.readItem(seller.sellerId, seller.region)).toMatchObject({ status: 'ACTIVE' });
    }
  }, 90_000);

  it('counts and logs an unpersisted rotation, without the token, when the write is still throttled at the deadline', async () => {
    // Prepare
    const [seller] = (await dueSellers(1, 'UP')) as [{ sellerId: string; region: Region }];
    const throughProxy = new SecretsManagerClient({ endpoint: proxy.url, maxAttempts: 1 });
    proxy.failNext({
      operation: 'secretsmanager.PutSecretValue',
      times: 100_000,
      response: 'service-unavailable',
    });

    // Act
    const summary = await harness.run({
      runtime: { secretsManager: throughProxy },
      writeDeadlineMs: harness.clock.now() + 30_000,
    });

    // Assess
    expect(summary.unpersistedRotations).toBe(1);
    const item = await harness.readItem(seller.sellerId, seller.region);
    expect(item).toMatchObject({ status: 'DEGRADED', lastError: 'secret_write_failed' });
    const lines = logs.lines.filter((l) => l.includes('Unpersisted rotation'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(seller.sellerId);
    expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
  });

  it('stops taking work at its time budget and the next run completes the rest', async () => {
    // Prepare: 12 due sellers, one write per second, one worker, a 5-second budget
    const sellers = await dueSellers(12, 'TB');
    const slow = { secretsWritesPerSecond: 1, concurrency: 1 };

    // Act
    const first = await harness.run({ config: slow, deadlineMs: harness.clock.now() + 5_000 });
    const second = await harness.run({ config: slow, deadlineMs: harness.clock.now() + 60_000 });

    // Assess
    expect(first.budgetExhausted).toBe(true);
    expect(first.refreshed).toBeGreaterThan(0);
    expect(first.refreshed).toBeLessThan(12);
    expect(second.budgetExhausted).toBe(false);
    expect(first.refreshed + second.refreshed).toBe(12);
    for (const seller of sellers) {
      expect((await harness.readItem(seller.sellerId, seller.region))?.status).toBe('ACTIVE');
    }
  });

  it('logged no code and no token during the whole run', () => {
    expect(logs.leaksOf(leaked)).toEqual([]);
  });
});
