import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { storeAuthorizedTokens } from '../../../lambda/shared/authorized-tokens';
import { DEFAULT_AWS_RETRY } from '../../../lambda/shared/aws-clients';
import { LwaClient } from '../../../lambda/shared/lwa-client';
import type { Region } from '../../../lambda/shared/regions';
import { sellerSecretName } from '../../../lambda/shared/secret-names';
import { type AuthorizationRecord, SellerRepository } from '../../../lambda/shared/seller-repository';
import { TokenKind } from '../../../lambda/shared/seller-table';
import { TokenStore, type WriteTokenSecretInput } from '../../../lambda/shared/token-store';
import { DEFAULT_CLIENT } from '../../emulators/lwa';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

/** What Lambda does to a callback at its timeout: the next write never happens. */
class KilledHere extends Error {
  constructor() {
    super('Task timed out');
    this.name = 'KilledHere';
  }
}

/**
 * Issue 10 §4: an authorization whose callback is killed half-way is found by the next refresher
 * run, because its item is written (PENDING, due in 5 minutes) before its secret.
 */
describe('an authorization cut short (moto + LWA emulator)', () => {
  let harness: RefreshHarness;
  let logs: LogCapture;

  beforeAll(async () => {
    logs = captureLogs();
    harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600 } });
  });

  afterAll(async () => {
    logs.restore();
    await harness.stop();
  });

  /** The real storeAuthorizedTokens with fresh tokens from LWA, killed at `killAt`. */
  async function authorizeUntilKilled(sellerId: string, killAt: 'before-secret' | 'before-final-item') {
    const region: Region = 'NA';
    const code = harness.lwa[region].issueAuthorizationCode({ sellerId });
    const tokens = await new LwaClient().exchangeAuthorizationCode(harness.config.lwaEndpoints[region], {
      code,
      redirectUri: 'https://example.execute-api.us-east-1.amazonaws.com/prod/callback',
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
    });
    const retry = { ...DEFAULT_AWS_RETRY, sleep: async () => {}, random: Math.random };
    const store = new TokenStore(harness.deployment.secretsManager, retry);
    const sellers = new SellerRepository(
      harness.deployment.documentClient,
      harness.deployment.sellerTableName,
    );
    if (killAt === 'before-secret') {
      store.write = async (_input: WriteTokenSecretInput) => {
        throw new KilledHere();
      };
    } else {
      sellers.recordAuthorization = async (_record: AuthorizationRecord) => {
        throw new KilledHere();
      };
    }
    const secretName = sellerSecretName(harness.config.tokenSecretPrefix, region, sellerId);
    const storing = storeAuthorizedTokens(
      {
        tokens: store,
        sellers,
        random: Math.random,
        retry,
        config: {
          kmsKeyId: harness.config.kmsKeyId,
          leadSeconds: harness.config.leadSeconds,
          spreadSeconds: harness.config.spreadSeconds,
        },
      },
      {
        itemKey: sellerId,
        kind: TokenKind.Seller,
        region,
        secretName,
        tags: { sellerId, region },
        identity: { sellerId },
        tokens,
        issuedAtMs: harness.clock.now(),
      },
    );
    await expect(storing).rejects.toBeInstanceOf(KilledHere);
    return { region, secretName, refreshToken: tokens.refreshToken };
  }

  it('indexes an orphan secret (written, never indexed) on the first run after 5 minutes', async () => {
    // Prepare: the callback stored the secret and was killed before its final item write
    const [sellerId] = sellerIds(1, 'ORPH') as [string];
    const { region, secretName, refreshToken } = await authorizeUntilKilled(sellerId, 'before-final-item');
    expect(await harness.readItem(sellerId, region)).toMatchObject({ status: 'PENDING' });

    // Act: a run now (the authorization might still be finishing), then one 5 minutes later
    const early = await harness.run();
    harness.clock.advance(301_000);
    const late = await harness.run();

    // Assess: found and indexed, on the tokens the authorization stored, without a call to LWA
    expect(early.due).toBe(0);
    expect(late).toMatchObject({ due: 1, alreadyFresh: 1, reauthRequired: 0 });
    const item = await harness.readItem(sellerId, region);
    expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
    const secret = await harness.readSecret(sellerId, region);
    expect(secret.refreshToken).toBe(refreshToken);
    // The schedule a refresh would give it: the lead, less a random spread.
    const latest = Date.parse(secret.accessTokenExpiresAt) / 1000 - harness.config.leadSeconds;
    expect(item?.nextRefreshAt).toBeLessThanOrEqual(latest);
    expect(item?.nextRefreshAt).toBeGreaterThanOrEqual(latest - harness.config.spreadSeconds);
    expect(harness.lwa[region].callCount('refresh_token')).toBe(0);
    // The secret's current version is the one the authorization wrote under its fence.
    const current = await harness.deployment.secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretName }),
    );
    expect(current.VersionId).toBe(item?.authorizationId);
  });

  it('marks a new seller REAUTH_REQUIRED when its callback was killed before any secret was written', async () => {
    // Prepare
    const [sellerId] = sellerIds(1, 'LOST') as [string];
    const { region } = await authorizeUntilKilled(sellerId, 'before-secret');

    // Act
    harness.clock.advance(301_000);
    const summary = await harness.run();

    // Assess: the code is spent and nothing was stored, so only a new authorization can help
    expect(summary).toMatchObject({ due: 1, reauthRequired: 1 });
    expect(await harness.readItem(sellerId, region)).toMatchObject({
      status: 'REAUTH_REQUIRED',
      lastError: 'secret_missing',
    });
    expect(logs.lines.some((l) => l.includes('An authorization never stored its tokens'))).toBe(true);
    expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
  });
});
