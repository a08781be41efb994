import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SellerNotAuthorizedError, TokenClient, TokenExpiredError } from '../../../lambda/client';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

/** Counts GetSecretValue calls the client makes, at the SDK level. */
function countingSecretsManager(): { client: SecretsManagerClient; reads: () => number } {
  let reads = 0;
  const client = new SecretsManagerClient({});
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') reads++;
      return next(args);
    },
    { step: 'initialize', name: 'countReads' },
  );
  return { client, reads: () => reads };
}

describe('token client reading what the refresher writes (moto + LWA emulator)', () => {
  let harness: RefreshHarness;

  beforeEach(async () => {
    harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600, rotation: 'every-refresh' } });
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('serves the cached token until it is inside its margin, then the one the refresher wrote', async () => {
    // Prepare
    const [sellerId] = sellerIds(1, 'CL') as [string];
    const seller = { sellerId, region: 'NA' as const };
    await harness.authorize([seller]);
    const { client, reads } = countingSecretsManager();
    const tokens = new TokenClient({
      secretsManager: client,
      secretPrefix: harness.config.tokenSecretPrefix,
      clock: harness.clock.now,
    });

    // Act: the first read, then many cached reads
    const first = await tokens.getAccessToken(seller);
    for (let i = 0; i < 1000; i++) await tokens.getAccessToken(seller);

    // Assess
    expect(reads()).toBe(1);
    expect(harness.lwa.NA.isAccessTokenValid(first.accessToken)).toBe(true);
    expect(first.accessToken).toBe((await harness.readSecret(sellerId, 'NA')).accessToken);

    // Act: the refresher writes a new version when the seller is due
    const item = await harness.readItem(sellerId, 'NA');
    harness.clock.advanceTo((item?.nextRefreshAt as number) * 1000);
    expect((await harness.run()).refreshed).toBe(1);
    const stillCached = await tokens.getAccessToken(seller);

    // Assess: the old token is still outside its 60 s margin, so it is served from the cache
    expect(stillCached.accessToken).toBe(first.accessToken);
    expect(reads()).toBe(1);

    // Act: time reaches the old token's margin
    harness.clock.advanceTo(first.expiresAt.getTime() - 60_000);
    const renewed = await tokens.getAccessToken(seller);

    // Assess
    expect(reads()).toBe(2);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(renewed.accessToken).toBe((await harness.readSecret(sellerId, 'NA')).accessToken);
    expect(harness.lwa.NA.isAccessTokenValid(renewed.accessToken)).toBe(true);
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
  });

  it('says the refresher is behind when the stored token is already inside the margin', async () => {
    // Prepare: nobody refreshes
    const [sellerId] = sellerIds(1, 'EX') as [string];
    await harness.authorize([{ sellerId, region: 'EU' }]);
    const tokens = new TokenClient({
      secretPrefix: harness.config.tokenSecretPrefix,
      clock: harness.clock.now,
    });
    harness.clock.advance(3600_000 - 30_000);

    // Act / Assess
    const read = tokens.getAccessToken({ sellerId, region: 'EU' });
    await expect(read).rejects.toBeInstanceOf(TokenExpiredError);
    await expect(read).rejects.toThrow(/refresh/i);
  });

  it('reports a seller LWA rejected as not authorized when given the sellers table', async () => {
    // Prepare: the refresher marks the seller REAUTH_REQUIRED
    const [sellerId] = sellerIds(1, 'RA') as [string];
    await harness.authorize([{ sellerId, region: 'FE' }]);
    harness.lwa.NA.revokeRefreshTokens(sellerId);
    harness.clock.advance(3300_000);
    expect((await harness.run()).reauthRequired).toBe(1);
    const tokens = new TokenClient({
      secretPrefix: harness.config.tokenSecretPrefix,
      clock: harness.clock.now,
      sellerTable: { client: new DynamoDBClient({}), tableName: harness.deployment.sellerTableName },
    });

    // Act / Assess
    await expect(tokens.getAccessToken({ sellerId, region: 'FE' })).rejects.toBeInstanceOf(
      SellerNotAuthorizedError,
    );
    await expect(tokens.getAccessToken({ sellerId: 'AUNKNOWN0000', region: 'FE' })).rejects.toBeInstanceOf(
      SellerNotAuthorizedError,
    );
  });
});
