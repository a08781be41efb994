import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Region } from '../../../lambda/shared/regions';
import type { LwaHold } from '../../emulators/lwa';
import { captureLifecycleEvents, type EventCapture } from '../../support/event-capture';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const REGIONS: Region[] = ['NA', 'EU', 'FE'];
const TICK_MS = 120_000;
const HOUR_MS = 3600_000;

/** A small seeded PRNG (mulberry32), so the wave's "random" moments are the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Reauthorization {
  readonly seller: { sellerId: string; region: Region };
  /** The first tick at which the seller authorizes again. */
  readonly tick: number;
  /** Whether it happens while the refresher waits for LWA's answer for the old token, and when LWA validated it. */
  readonly duringRefresh?: 'after-validation' | 'before-validation';
  done?: boolean;
}

/** The size of one fleet simulation: {@link describeFleetSimulation}. */
export interface FleetSimulationSize {
  /** Simulated hours of two-minute refresh runs. */
  readonly hours: number;
  /** Sellers over the three regions (a multiple of 10, so a tenth re-authorizes). */
  readonly sellers: number;
  /**
   * The re-authorization wave happens in the first this-many hours, so every seller in it has a
   * refresh due before the end (one-hour tokens come due within 55 minutes).
   */
  readonly waveWithinHours: number;
  /** Sellers in the wave; the first three re-authorize while their refresh is in flight. */
  readonly waveSize: number;
  /**
   * When the back-dated sellers' yearly authorizations run out, in hours from the start: each
   * after the seller's first refresh (about 55 minutes for one-hour tokens), which is when the
   * refresher notices it and sends the expiring event.
   */
  readonly authorizationExpiriesHours: readonly number[];
  /** A jest timeout that covers the simulation on a loaded 2-core machine. */
  readonly timeoutMs: number;
}

/**
 * Scheduled refreshes against moto and the LWA emulators, every two simulated minutes, with
 * every seller's token read after each run. The soak project runs it for 24 hours and 50 sellers;
 * the integration project runs the same checks for 2 hours and 10 sellers.
 */
export function describeFleetSimulation(size: FleetSimulationSize): void {
  const DURATION_MS = size.hours * HOUR_MS;

  describe(`${size.hours} simulated hours of scheduled refreshes for ${size.sellers} sellers (moto + LWA emulators)`, () => {
    let harness: RefreshHarness;
    let logs: LogCapture;
    let bus: EventCapture;

    beforeAll(async () => {
      logs = captureLogs();
      bus = await captureLifecycleEvents();
      // EU's LWA issues 15-minute tokens, NA's and FE's one-hour tokens: the schedule must follow
      // the expires_in each one returns.
      harness = await startRefreshHarness({
        defaultEmulator: { expiresIn: 3600, rotation: 'every-refresh' },
        emulators: { EU: { expiresIn: 900, rotation: 'every-refresh' } },
        env: { EVENT_BUS_NAME: bus.eventBusName },
      });
    });

    afterAll(async () => {
      logs.restore();
      await harness.stop();
    });

    it(
      'keeps every stored access token valid and refreshes about once per token lifetime, through a re-authorization wave',
      async () => {
        // Prepare: the sellers over three regions, authorized over the first few minutes
        const sellers = sellerIds(size.sellers, 'DAY').map((sellerId, i) => ({
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
        // Sellers whose yearly authorization runs out within the run
        const expiries = size.authorizationExpiriesHours;
        const backDated = sellers.slice(0, expiries.length);
        for (const [i, seller] of backDated.entries()) {
          await harness.deployment.documentClient.send(
            new UpdateCommand({
              TableName: harness.deployment.sellerTableName,
              Key: seller,
              UpdateExpression: 'SET authorizationExpiresAt = :at',
              ExpressionAttributeValues: {
                ':at': Math.floor(start / 1000) + Math.round((expiries[i] as number) * 3600),
              },
            }),
          );
        }
        const tokensExpiredByRun: number[] = [];
        // Some sellers (none of the back-dated ones, whose expiry notices are checked) authorize
        // again at random moments early in the run (so their later refreshes show the new token
        // chain); three of them while their refresh waits for LWA.
        const random = seededRandom(20261128);
        const shuffled = sellers.filter((seller) => !backDated.includes(seller)).sort(() => random() - 0.5);
        const wave: Reauthorization[] = shuffled.slice(0, size.waveSize).map((seller, i) => ({
          seller,
          tick: 1 + Math.floor(random() * ((size.waveWithinHours * HOUR_MS) / TICK_MS)),
          duringRefresh: i === 0 || i === 2 ? 'after-validation' : i === 1 ? 'before-validation' : undefined,
        }));
        let superseded = 0;
        const overwrittenAuthorizations: string[] = [];

        // Act: a refresh run every two minutes, and after each run every seller's token is read
        while (harness.clock.now() < start + DURATION_MS) {
          harness.clock.advanceTo(start + ++ticks * TICK_MS);
          const nowSeconds = harness.clock.now() / 1000;
          const racing: Array<{ reauthorization: Reauthorization; held: LwaHold }> = [];
          for (const reauthorization of wave.filter((r) => !r.done && r.tick <= ticks)) {
            const { seller, duringRefresh } = reauthorization;
            if (!duringRefresh) {
              await harness.authorize([seller]);
              reauthorization.done = true;
              continue;
            }
            // Wait for the tick at which its refresh runs, then catch that refresh in flight.
            const item = await harness.readItem(seller.sellerId, seller.region);
            if ((item?.nextRefreshAt ?? Number.POSITIVE_INFINITY) > nowSeconds) continue;
            const held = harness.lwa[seller.region].hold({
              grantType: 'refresh_token',
              subject: seller.sellerId,
              phase: duringRefresh,
            });
            racing.push({ reauthorization, held });
          }
          const running = harness.run();
          const authorizedTokens: Array<{ seller: Reauthorization['seller']; refreshToken?: string }> = [];
          for (const { reauthorization, held } of racing) {
            const { seller } = reauthorization;
            await held.arrived;
            await harness.authorize([seller]);
            const { refreshToken } = await harness.readSecret(seller.sellerId, seller.region);
            authorizedTokens.push({ seller, refreshToken });
            held.release();
            reauthorization.done = true;
          }
          const summary = await running;
          superseded += summary.superseded;
          tokensExpiredByRun.push(summary.tokensExpired);
          // The refresh that was in flight left the re-authorization's refresh token in place.
          for (const { seller, refreshToken } of authorizedTokens) {
            const stored = await harness.readSecret(seller.sellerId, seller.region);
            if (stored.refreshToken !== refreshToken) overwrittenAuthorizations.push(seller.sellerId);
          }
          const now = harness.clock.now();
          for (const secret of await harness.readAllSecrets()) {
            const valid = harness.lwa[secret.region].isAccessTokenValid(secret.accessToken);
            if (!valid || Date.parse(secret.accessTokenExpiresAt) <= now) {
              expiredReads.push(`${secret.sellerId}@${new Date(now).toISOString()}`);
            }
          }
        }

        // Assess
        expect(ticks).toBe(DURATION_MS / TICK_MS);
        expect(expiredReads).toEqual([]);
        expect(wave.every((r) => r.done)).toBe(true);
        expect(overwrittenAuthorizations).toEqual([]);
        // LWA never saw a stored refresh token it had to reject.
        const rejected = harness.emulators.flatMap((e) =>
          e.requests.filter((r) => r.grantType === 'refresh_token' && r.status !== 200),
        );
        expect(rejected).toEqual([]);
        for (const seller of sellers) {
          const refreshes = harness.lwa[seller.region].requests.filter(
            (r) => r.grantType === 'refresh_token' && r.subject === seller.sellerId && r.status === 200,
          ).length;
          // One-hour tokens come due 50–55 minutes after issue; 15-minute tokens 10 minutes after it
          // (half their life would be 7.5, but one secret is written at most every 10 minutes,
          // invariant 12), each picked up by the next two-minute tick.
          const [min, max] =
            seller.region === 'EU'
              ? [DURATION_MS / 720_000, DURATION_MS / 600_000]
              : [DURATION_MS / 3120_000, DURATION_MS / 2700_000];
          expect(refreshes).toBeGreaterThanOrEqual(Math.floor(min) - 1);
          expect(refreshes).toBeLessThanOrEqual(Math.ceil(max) + 1);
          const item = await harness.readItem(seller.sellerId, seller.region);
          expect(item).toMatchObject({ status: 'ACTIVE', failureCount: 0 });
          const secret = await harness.readSecret(seller.sellerId, seller.region);
          expect(secret.refreshToken).toBe(harness.lwa[seller.region].currentRefreshToken(seller.sellerId));
        }
        // Each refresh caught in flight was overtaken by its re-authorization.
        expect(superseded).toBe(wave.filter((r) => r.duringRefresh).length);
        expect(logs.leaksOf(harness.issuedSecrets())).toEqual([]);
        // The TokensExpired gauge stayed 0 in every run.
        expect(tokensExpiredByRun).toHaveLength(ticks);
        expect(tokensExpiredByRun.filter((count) => count !== 0)).toEqual([]);
        // Exactly one expiring event (the 1-day one) per back-dated seller, and none for the others.
        const expiring = (await bus.drain()).filter(
          (e) => e['detail-type'] === 'Seller authorization expiring',
        );
        expect(expiring.map((e) => e.detail.sellerId).sort()).toEqual(
          backDated.map((s) => s.sellerId).sort(),
        );
        expect(expiring.every((e) => e.detail.daysBefore === 1)).toBe(true);
      },
      size.timeoutMs,
    );
  });
}
