import type { Region } from '../../../lambda/shared/regions';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const REGIONS: Region[] = ['NA', 'EU', 'FE'];
const TICK_MS = 120_000;
const DAY_MS = 24 * 3600_000;

describe('a simulated day of scheduled refreshes (moto + LWA emulators)', () => {
  let harness: RefreshHarness;
  let logs: LogCapture;

  beforeAll(async () => {
    logs = captureLogs();
    // EU's LWA issues 15-minute tokens, NA's and FE's one-hour tokens: the schedule must follow
    // the expires_in each one returns.
    harness = await startRefreshHarness({
      defaultEmulator: { expiresIn: 3600, rotation: 'every-refresh' },
      emulators: { EU: { expiresIn: 900, rotation: 'every-refresh' } },
    });
  });

  afterAll(async () => {
    logs.restore();
    await harness.stop();
  });

  it('keeps every stored access token valid for 24 hours and refreshes about once per token lifetime', async () => {
    // Prepare: 50 sellers over three regions, authorized over the first few minutes
    const sellers = sellerIds(50, 'DAY').map((sellerId, i) => ({
      sellerId,
      region: REGIONS[i % 3] as Region,
    }));
    for (const seller of sellers) {
      await harness.authorize([seller]);
      harness.clock.advance(5_000);
    }
    const start = harness.clock.now();
    const expiredReads: string[] = [];
    let ticks = 0;

    // Act: a refresh run every two minutes, and after each run every seller's token is read
    while (harness.clock.now() < start + DAY_MS) {
      harness.clock.advanceTo(start + ++ticks * TICK_MS);
      await harness.run();
      const now = harness.clock.now();
      for (const secret of await harness.readAllSecrets()) {
        const valid = harness.lwa[secret.region].isAccessTokenValid(secret.accessToken);
        if (!valid || Date.parse(secret.accessTokenExpiresAt) <= now) {
          expiredReads.push(`${secret.sellerId}@${new Date(now).toISOString()}`);
        }
      }
    }

    // Assess
    expect(ticks).toBe(DAY_MS / TICK_MS);
    expect(expiredReads).toEqual([]);
    for (const seller of sellers) {
      const refreshes = harness.lwa[seller.region].requests.filter(
        (r) => r.grantType === 'refresh_token' && r.subject === seller.sellerId && r.status === 200,
      ).length;
      // One-hour tokens come due 50–55 minutes after issue; 15-minute tokens 10 minutes after it
      // (half their life would be 7.5, but one secret is written at most every 10 minutes,
      // invariant 12), each picked up by the next two-minute tick.
      const [min, max] =
        seller.region === 'EU'
          ? [DAY_MS / 720_000, DAY_MS / 600_000]
          : [DAY_MS / 3120_000, DAY_MS / 2700_000];
      expect(refreshes).toBeGreaterThanOrEqual(Math.floor(min) - 1);
      expect(refreshes).toBeLessThanOrEqual(Math.ceil(max) + 1);
      const item = await harness.readItem(seller.sellerId, seller.region);
      expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
      const secret = await harness.readSecret(seller.sellerId, seller.region);
      expect(secret.refreshToken).toBe(harness.lwa[seller.region].currentRefreshToken(seller.sellerId));
    }
    expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
    // ~4,300 refreshes and ~2,200 batch reads against moto take a few minutes.
  }, 900_000);
});
