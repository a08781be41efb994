/**
 * Measurement 3: the token client's cached path in-process, and how often it reads Secrets
 * Manager over a simulated hour while the real refresher writes new versions.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TokenClient } from '../lambda/client';
import type { Region } from '../lambda/shared/regions';
import { sellerIds, startRefreshHarness } from '../test/support/refresh-harness';
import { type Distribution, distribution, perUnit } from './arithmetic';

export interface TokenClientResult {
  readonly calls: number;
  /** Nanoseconds per `await getAccessToken()`, timed call by call (includes the timer's own cost). */
  readonly perCallNs: Distribution;
  /** Nanoseconds between two back-to-back `process.hrtime.bigint()` reads: the floor of perCallNs. */
  readonly timerOverheadNs: Distribution;
  /** Mean nanoseconds per call within batches of `batchSize`, which removes the timer's cost. */
  readonly batchMeanNs: Distribution;
  readonly batchSize: number;
  readonly simulatedHour: {
    readonly reads: number;
    readonly sellers: number;
    readonly getSecretValueCalls: number;
    readonly getSecretValuePer10kReads: number;
    /** Distinct access tokens the readers were served. */
    readonly distinctTokens: number;
    /** GetSecretValue calls per token version served: 1.0 means one read per token lifetime. */
    readonly readsPerToken: number;
    readonly refresherWrites: number;
    /** Served tokens that were expired, or that LWA no longer accepted, at the time of the read. */
    readonly staleServed: number;
  };
}

const SELLERS = 10;

export async function measureTokenClient(input: {
  calls: number;
  reads: number;
  progress: (line: string) => void;
}): Promise<TokenClientResult> {
  const harness = await startRefreshHarness({
    defaultEmulator: { expiresIn: 3600, rotation: 'every-refresh' },
  });
  const sellers = sellerIds(SELLERS, 'TC').map((sellerId, i) => ({
    sellerId,
    region: (['NA', 'EU', 'FE'] as const)[i % 3] as Region,
  }));
  const secretsManager = new SecretsManagerClient({});
  try {
    await harness.authorize(sellers);
    // The harness clock starts at the real time, so these tokens are fresh by Date.now too.
    const cached = new TokenClient({ secretsManager, secretPrefix: harness.config.tokenSecretPrefix });
    for (const seller of sellers) await cached.getAccessToken(seller);

    input.progress(`  timing ${input.calls.toLocaleString('en-US')} cached getAccessToken calls`);
    await timeCalls(cached, sellers, Math.min(100_000, input.calls));
    const perCall = await timeCalls(cached, sellers, input.calls);
    const timerOverhead = timeTimer(input.calls);
    const batchSize = 1000;
    const batchMeans = await timeBatches(
      cached,
      sellers,
      Math.max(1, Math.floor(input.calls / batchSize)),
      batchSize,
    );

    input.progress(
      `  simulating an hour of ${input.reads.toLocaleString('en-US')} reads with the refresher running`,
    );
    const simulatedHour = await simulateHour(harness, sellers, input.reads);
    return {
      calls: input.calls,
      perCallNs: distribution(perCall),
      timerOverheadNs: distribution(timerOverhead),
      batchMeanNs: distribution(batchMeans),
      batchSize,
      simulatedHour,
    };
  } finally {
    secretsManager.destroy();
    await harness.stop();
  }
}

type Seller = { sellerId: string; region: Region };

async function timeCalls(
  client: TokenClient,
  sellers: readonly Seller[],
  calls: number,
): Promise<Float64Array> {
  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const seller = sellers[i % sellers.length] as Seller;
    const started = process.hrtime.bigint();
    await client.getAccessToken(seller);
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return samples;
}

function timeTimer(samplesWanted: number): Float64Array {
  const samples = new Float64Array(samplesWanted);
  for (let i = 0; i < samplesWanted; i++) {
    const started = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return samples;
}

async function timeBatches(
  client: TokenClient,
  sellers: readonly Seller[],
  batches: number,
  batchSize: number,
): Promise<Float64Array> {
  const means = new Float64Array(batches);
  for (let b = 0; b < batches; b++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i++) await client.getAccessToken(sellers[i % sellers.length] as Seller);
    means[b] = Number(process.hrtime.bigint() - started) / batchSize;
  }
  return means;
}

/**
 * Reads spread evenly over one simulated hour, round-robin over the sellers, while the real
 * refresher runs every simulated minute against moto and the LWA emulator (rotating refresh
 * tokens). The client's own SDK calls are counted with a middleware.
 */
async function simulateHour(
  harness: Awaited<ReturnType<typeof startRefreshHarness>>,
  sellers: readonly Seller[],
  reads: number,
): Promise<TokenClientResult['simulatedHour']> {
  const secretsManager = new SecretsManagerClient({});
  let getSecretValueCalls = 0;
  secretsManager.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') getSecretValueCalls++;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountReads' },
  );
  try {
    const client = new TokenClient({
      secretsManager,
      secretPrefix: harness.config.tokenSecretPrefix,
      clock: harness.clock.now,
    });
    const lwa = harness.lwa.NA;
    const start = harness.clock.now();
    const hourMs = 3600_000;
    let nextRun = start + 60_000;
    let refresherWrites = 0;
    let staleServed = 0;
    const tokens = new Set<string>();
    for (let i = 0; i < reads; i++) {
      const at = start + Math.floor((i * hourMs) / reads);
      while (nextRun <= at) {
        harness.clock.advanceTo(nextRun);
        refresherWrites += (await harness.run()).refreshed;
        nextRun += 60_000;
      }
      harness.clock.advanceTo(at);
      const token = await client.getAccessToken(sellers[i % sellers.length] as Seller);
      if (token.expiresAt.getTime() <= harness.clock.now() || !lwa.isAccessTokenValid(token.accessToken)) {
        staleServed++;
      }
      tokens.add(token.accessToken);
    }
    return {
      reads,
      sellers: sellers.length,
      getSecretValueCalls,
      getSecretValuePer10kReads: perUnit(getSecretValueCalls, reads, 10_000),
      distinctTokens: tokens.size,
      readsPerToken: getSecretValueCalls / tokens.size,
      refresherWrites,
      staleServed,
    };
  } finally {
    secretsManager.destroy();
  }
}
