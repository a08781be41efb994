import type { Region } from '../../../lambda/shared/regions';
import { captureLogs } from '../../support/log-capture';
import { sellerIds, startRefreshHarness } from '../../support/refresh-harness';
import { lambdaContext } from '../auth/auth-test-bed';

describe('the deployed refresh handler (moto + LWA emulator)', () => {
  it('is wired by its environment alone: refreshes due sellers and logs a summary without tokens', async () => {
    // Prepare: sellers authorized 55 minutes ago, so they are due now by the real clock
    const logs = captureLogs();
    const harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600 } });
    try {
      harness.clock.advance(-3300_000);
      const sellers = sellerIds(3, 'HND').map((sellerId, i) => ({
        sellerId,
        region: (['NA', 'EU', 'FE'] as Region[])[i] as Region,
      }));
      await harness.authorize(sellers);
      harness.clock.advanceTo(Date.now());
      const env = {
        ...harness.deployment.env,
        LWA_ENDPOINTS: JSON.stringify({
          NA: harness.lwa.NA.url,
          EU: harness.lwa.NA.url,
          FE: harness.lwa.NA.url,
        }),
      };
      Object.assign(process.env, env);
      let handler:
        | ((event: unknown, context: typeof lambdaContext) => Promise<{ refreshed: number }>)
        | undefined;
      jest.isolateModules(() => {
        handler = require('../../../lambda/refresh/handler').handler;
      });

      // Act: exactly what EventBridge Scheduler invokes
      const summary = await (handler as NonNullable<typeof handler>)(
        { source: 'aws.scheduler' },
        // The refresh function runs for up to 5 minutes; its budget is 50 s of that.
        { ...lambdaContext, getRemainingTimeInMillis: () => 300_000 },
      );

      // Assess
      expect(summary).toMatchObject({ refreshed: 3 });
      for (const seller of sellers) {
        const secret = await harness.readSecret(seller.sellerId, seller.region);
        expect(harness.lwa.NA.isAccessTokenValid(secret.accessToken)).toBe(true);
        expect(Date.parse(secret.accessTokenExpiresAt)).toBeGreaterThan(Date.now() + 3000_000);
      }
      const finished = logs.lines.filter((l) => l.includes('Refresh run finished'));
      expect(finished).toHaveLength(1);
      expect(JSON.parse(finished[0] as string)).toMatchObject({
        refreshed: 3,
        function_request_id: 'test-request-id',
      });
      expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
    } finally {
      logs.restore();
      await harness.stop();
    }
  });
});
