/**
 * Measurement 3: the token client's cached path in-process (the TypeScript client, and the Python
 * client timed the same way), what the packed npm package adds to a minified bundle, and how often
 * the client reads Secrets Manager over a simulated hour while the real refresher writes new versions.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TokenClient } from '../lambda/client';
import type { Region } from '../lambda/shared/regions';
import { buildAndPackTokenClient, minifiedClientBytes } from '../scripts/build-token-client';
import { ensurePythonClientVenv } from '../test/support/python-client';
import { sellerIds, startRefreshHarness } from '../test/support/refresh-harness';
import { type Distribution, distribution, perUnit } from './arithmetic';

const run = promisify(execFile);

export interface TokenClientResult {
  readonly calls: number;
  /** Nanoseconds per `await getAccessToken()`, timed call by call (includes the timer's own cost). */
  readonly perCallNs: Distribution;
  /** Nanoseconds between two back-to-back `process.hrtime.bigint()` reads: the floor of perCallNs. */
  readonly timerOverheadNs: Distribution;
  /** Mean nanoseconds per call within batches of `batchSize`, which removes the timer's cost. */
  readonly batchMeanNs: Distribution;
  readonly batchSize: number;
  /** The same timings of the Python client's `get_access_token` (absent from results before it was measured). */
  readonly python?: PythonClientTiming;
  /** The packed npm package (absent from results before it was measured). */
  readonly npmPackage?: ClientPackageSize;
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

export interface PythonClientTiming {
  readonly calls: number;
  readonly pythonVersion: string;
  readonly clientVersion: string;
  /** Nanoseconds per `get_access_token()`, timed call by call with `time.perf_counter_ns`. */
  readonly perCallNs: Distribution;
  readonly timerOverheadNs: Distribution;
  readonly batchMeanNs: Distribution;
  readonly batchSize: number;
}

export interface ClientPackageSize {
  readonly tarball: string;
  readonly tarballBytes: number;
  /** The package's ESM build bundled and minified with everything but the AWS SDK. */
  readonly minifiedEsmBytes: number;
}

const SELLERS = 10;

export async function measureTokenClient(input: {
  calls: number;
  pythonCalls: number;
  reads: number;
  progress: (line: string) => void;
}): Promise<TokenClientResult> {
  input.progress('  building and packing lwa-token-client');
  const npmPackage = await measureClientPackage();
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
      `  timing ${input.pythonCalls.toLocaleString('en-US')} cached get_access_token calls in Python`,
    );
    const python = await timePythonClient(
      sellers,
      input.pythonCalls,
      harness.config.tokenSecretPrefix,
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
      python,
      npmPackage,
      simulatedHour,
    };
  } finally {
    secretsManager.destroy();
    await harness.stop();
  }
}

type Seller = { sellerId: string; region: Region };

/** Measured on the tarball's own files, unpacked, so it is what `npm install` gives a consumer. */
async function measureClientPackage(): Promise<ClientPackageSize> {
  const tarball = await buildAndPackTokenClient();
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-token-client-size-'));
  try {
    await run('tar', ['-xzf', tarball, '-C', unpacked]);
    return {
      tarball: path.basename(tarball),
      tarballBytes: fs.statSync(tarball).size,
      minifiedEsmBytes: await minifiedClientBytes(path.join(unpacked, 'package')),
    };
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true });
  }
}

/**
 * bench/python-client-timing.py in the Python client's venv (its wheel installed), reading the
 * secrets the real callback code wrote into moto; it writes raw samples so both clients'
 * percentiles come from the same `distribution()`.
 */
async function timePythonClient(
  sellers: readonly Seller[],
  calls: number,
  tokenSecretPrefix: string,
  batchSize: number,
): Promise<PythonClientTiming> {
  const { python } = await ensurePythonClientVenv();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-python-timing-'));
  try {
    const { stdout } = await run(
      python,
      [
        path.join(__dirname, 'python-client-timing.py'),
        String(calls),
        String(batchSize),
        out,
        JSON.stringify(sellers.map((s) => [s.sellerId, s.region])),
      ],
      { env: { ...process.env, TOKEN_SECRET_PREFIX: tokenSecretPrefix }, maxBuffer: 1024 * 1024 },
    );
    const versions = JSON.parse(stdout) as { python: string; client: string };
    const samples = (name: string) => {
      // Copied so the view starts 8-byte aligned, whatever pool slice readFileSync returned.
      return new Float64Array(Uint8Array.from(fs.readFileSync(path.join(out, `${name}.f64`))).buffer);
    };
    return {
      calls,
      pythonVersion: versions.python,
      clientVersion: versions.client,
      perCallNs: distribution(samples('per-call')),
      timerOverheadNs: distribution(samples('timer')),
      batchMeanNs: distribution(samples('batch-means')),
      batchSize,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

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
