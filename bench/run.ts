/**
 * `npm run bench [-- --quick] [--out file.json]`: issue 7's measurements side by side in one run. Starts (and
 * stops) moto and the LWA emulator itself, prints a Markdown table on stdout (progress goes to
 * stderr) and writes bench/results/latest.json (or `--out`). Figures are reported, never asserted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULTS } from '../lib/defaults';
import { applyAwsEnv } from '../test/support/aws-test-env';
import { type MotoServer, startMotoServer } from '../test/support/moto-server';
import { ensureMotoVenv } from '../test/support/python-venv';
import { meanRefreshIntervalSeconds, monthlyCost, refreshesPerDay } from './arithmetic';
import { measureColdStart } from './cold-start';
import type { Latencies } from './fleet/in-memory';
import { runScenarios } from './fleet/run-scenarios';
import type { FleetScenario } from './fleet/simulate';
import { PRICES } from './prices';
import { measureRefreshThroughput, type ThroughputSetting } from './refresh-throughput';
import { renderReport } from './report';
import type { BenchResults } from './results-types';
import { measureTokenClient } from './token-client';

/**
 * Simulated call latencies: in-region DynamoDB and Secrets Manager calls take single-digit to low
 * double-digit milliseconds; LWA gets the same 100 ms the throughput run injects.
 */
const FLEET_LATENCIES: Latencies = { awsMs: 10, lwaMs: 100 };
const LWA_LATENCY_MS = 100;

const SETTINGS: readonly ThroughputSetting[] = [
  {
    name: 'defaults',
    concurrency: DEFAULTS.refreshConcurrency,
    lwaMaxConcurrency: DEFAULTS.lwaMaxConcurrency,
    writeCapPerSecond: DEFAULTS.secretsWritesPerSecond,
  },
  // A cap the workers can't reach, so the bound is set by concurrency / latency instead.
  { name: 'concurrency-bound', concurrency: 4, lwaMaxConcurrency: 4, writeCapPerSecond: 50 },
];

interface Mode {
  readonly throughputSellers: number;
  readonly tokenCalls: number;
  readonly tokenReads: number;
  readonly coldStartRuns: number;
  readonly fleet: readonly FleetScenario[];
}

const fleet = (name: string, sellers: number, hours: number, writeCapPerSecond: number): FleetScenario => ({
  name,
  sellers,
  hours,
  writeCapPerSecond,
  latencies: FLEET_LATENCIES,
});

const MODES: Record<'quick' | 'full', Mode> = {
  full: {
    throughputSellers: 2000,
    tokenCalls: 1_000_000,
    tokenReads: 10_000,
    coldStartRuns: 20,
    fleet: [
      fleet('100k @ 20/s', 100_000, 24, 20),
      fleet('150k @ 50/s', 150_000, 24, 50),
      fleet('100k @ 50/s', 100_000, 24, 50),
    ],
  },
  // Fleets and caps scaled by 1/10 keep each scenario's load relative to its cap, over 6 hours.
  quick: {
    throughputSellers: 200,
    tokenCalls: 1_000_000,
    tokenReads: 10_000,
    coldStartRuns: 5,
    fleet: [
      fleet('10k @ 2/s (100k @ 20/s ÷ 10)', 10_000, 6, 2),
      fleet('15k @ 5/s (150k @ 50/s ÷ 10)', 15_000, 6, 5),
      fleet('10k @ 5/s (100k @ 50/s ÷ 10)', 10_000, 6, 5),
    ],
  },
};

const DEFAULT_RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');

/** `--out <file>` writes the JSON elsewhere, e.g. so a quick run keeps the committed full results. */
function resultsFile(argv: readonly string[]): string {
  const index = argv.indexOf('--out');
  if (index === -1) return DEFAULT_RESULTS_FILE;
  const file = argv[index + 1];
  if (!file || file.startsWith('--')) throw new Error('--out needs a file name');
  return path.resolve(file);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const output = resultsFile(process.argv);
  const mode = MODES[quick ? 'quick' : 'full'];
  const started = performance.now();
  const stepSeconds: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    progress(`[${elapsed(started)}] ${name}`);
    const stepStarted = performance.now();
    const result = await work();
    stepSeconds[name] = Math.round((performance.now() - stepStarted) / 100) / 10;
    return result;
  };

  let moto: MotoServer | undefined;
  const stopMoto = async () => {
    const server = moto;
    moto = undefined;
    await server?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping moto and exiting`);
      void stopMoto().finally(() => process.exit(130));
    });
  }

  let throughput: BenchResults['throughput'] = [];
  let tokenClient: BenchResults['tokenClient'];
  try {
    moto = await step('start moto', async () => {
      const server = await startMotoServer({ motoServer: await ensureMotoVenv({ log: progress }) });
      applyAwsEnv(server.endpoint);
      return server;
    });
    const endpoint = moto.endpoint;
    throughput = [];
    for (const setting of SETTINGS) {
      throughput.push(
        await step(`1+2. refresh throughput and AWS calls (${setting.name})`, () =>
          measureRefreshThroughput({
            setting,
            sellers: mode.throughputSellers,
            lwaLatencyMs: LWA_LATENCY_MS,
            motoEndpoint: endpoint,
            progress,
          }),
        ),
      );
    }
    tokenClient = await step('3. token client', () =>
      measureTokenClient({
        calls: mode.tokenCalls,
        // The same count for the Python client: about 1.3 µs a call, so a few seconds.
        pythonCalls: mode.tokenCalls,
        reads: mode.tokenReads,
        progress,
      }),
    );
  } finally {
    await stopMoto();
  }
  const coldStart = await step('4. cold start', () =>
    measureColdStart({ runs: mode.coldStartRuns, progress }),
  );
  const fleetResults = await step('5. fleet simulation', () =>
    runScenarios(mode.fleet, Math.max(1, Math.min(2, os.cpus().length)), progress),
  );

  const results: BenchResults = {
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    command: quick ? 'npm run bench -- --quick' : 'npm run bench',
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
    },
    stepSeconds,
    throughput,
    tokenClient,
    coldStart,
    fleet: fleetResults,
    cost: cost(throughput),
  };
  stepSeconds.total = Math.round((performance.now() - started) / 100) / 10;
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderReport(results)}\n`);
  progress(`[${elapsed(started)}] wrote ${path.relative(process.cwd(), output)}`);
}

/** Measurement 6, from the default-setting run's measured calls and durations. */
function cost(throughput: BenchResults['throughput']): BenchResults['cost'] {
  const run = throughput[0];
  if (!run) throw new Error('no refresh run to take the cost inputs from');
  const perRefresh = (prefix: string) =>
    Object.entries(run.awsCalls)
      .filter(([operation]) => operation.startsWith(prefix))
      .reduce((sum, [, count]) => sum + count, 0) / run.summary.refreshed;
  const updateItemsPerRefresh = perRefresh('DynamoDB_20120810.UpdateItem');
  const interval = meanRefreshIntervalSeconds({
    expiresInSeconds: 3600,
    leadSeconds: DEFAULTS.refreshLead.toSeconds(),
    spreadSeconds: 300,
    tickSeconds: 60,
  });
  const assumptions = {
    sellers: 1000,
    tokenLifetimeSeconds: 3600,
    meanRefreshIntervalSeconds: interval,
    refreshesPerSellerPerDay: refreshesPerDay(interval),
    secretsManagerCallsPerRefresh: perRefresh('secretsmanager.'),
    updateItemsPerRefresh,
    // Projection ALL: each update rewrites the index entry; the one that moves nextRefreshAt twice.
    indexWritesPerRefresh: updateItemsPerRefresh + 1,
    itemSizeKb: 0.5,
    lambdaSecondsPerRefresh: run.wallSeconds / run.summary.refreshed,
    lambdaMemoryGb: DEFAULTS.refreshMemorySize / 1024,
    invocationsPerDay: 1440,
    idleRunSeconds: run.idleRun.wallSeconds,
    idleQueryPagesPerRun: run.idleRun.awsCalls['DynamoDB_20120810.Query'] ?? 0,
  };
  return {
    pricesSource: PRICES.source,
    assumptions,
    perThousandSellers: monthlyCost(assumptions, PRICES),
  };
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function elapsed(since: number): string {
  const seconds = Math.round((performance.now() - since) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

main().then(
  () => {
    // Everything was closed; if a stray handle still holds the loop, don't hang CI over it.
    setTimeout(() => {
      progress('bench: a handle was left open; exiting anyway');
      process.exit(0);
    }, 5_000).unref();
  },
  (error: unknown) => {
    progress(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
