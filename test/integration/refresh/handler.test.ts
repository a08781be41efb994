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
        // No scheduledTime in the event: the 50 s budget applies.
        deadlineRule: 'budget',
      });
      expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
    } finally {
      logs.restore();
      await harness.stop();
    }
  });

  it('reads the tick from the schedule input: a tick past its window takes no work, a garbled one falls back to the budget', async () => {
    // Prepare: three due sellers, the handler wired as the construct wires it on rate(1 minute)
    const logs = captureLogs();
    const harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600 } });
    try {
      harness.clock.advance(-3300_000);
      const sellers = sellerIds(3, 'TCK').map((sellerId) => ({ sellerId, region: 'NA' as Region }));
      await harness.authorize(sellers);
      harness.clock.advanceTo(Date.now());
      const before = await Promise.all(sellers.map((s) => harness.readSecret(s.sellerId, s.region)));
      Object.assign(process.env, {
        ...harness.deployment.env,
        LWA_ENDPOINTS: JSON.stringify({
          NA: harness.lwa.NA.url,
          EU: harness.lwa.NA.url,
          FE: harness.lwa.NA.url,
        }),
        REFRESH_TICK_SECONDS: '60',
        REFRESH_DRAIN_SECONDS: '3',
      });
      let handler:
        | ((event: unknown, context: typeof lambdaContext) => Promise<{ refreshed: number; due: number }>)
        | undefined;
      jest.isolateModules(() => {
        handler = require('../../../lambda/refresh/handler').handler;
      });
      const invoke = (event: unknown) =>
        (handler as NonNullable<typeof handler>)(event, {
          ...lambdaContext,
          getRemainingTimeInMillis: () => 300_000,
        });
      // The tick before last, as Scheduler writes it: whole seconds, UTC.
      const stale = new Date(Math.floor(Date.now() / 1000) * 1000 - 120_000)
        .toISOString()
        .replace('.000Z', 'Z');

      // Act
      const late = await invoke({ scheduledTime: stale });
      const afterLate = await Promise.all(sellers.map((s) => harness.readSecret(s.sellerId, s.region)));
      const garbled = await invoke({ scheduledTime: '<aws.scheduler.scheduled-time>' });

      // Assess: the late tick refreshed nothing and ended at once
      expect(late).toMatchObject({ due: 0, refreshed: 0 });
      expect(afterLate.map((secret) => secret.accessToken)).toEqual(
        before.map((secret) => secret.accessToken),
      );
      expect(logs.lines.filter((l) => l.includes('Refresh run skipped'))).toHaveLength(1);
      // The garbled one was refused with a warning, and ran under the budget rule
      expect(garbled).toMatchObject({ refreshed: 3 });
      const warning = logs.lines.find((l) => l.includes("Ignoring the event's scheduledTime"));
      expect(JSON.parse(warning as string)).toMatchObject({
        level: 'WARN',
        reason: expect.stringContaining('ISO 8601'),
      });
      const finished = logs.lines.filter((l) => l.includes('Refresh run finished'));
      expect(JSON.parse(finished.at(-1) as string)).toMatchObject({ refreshed: 3, deadlineRule: 'budget' });
      expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
    } finally {
      logs.restore();
      await harness.stop();
    }
  });
});
