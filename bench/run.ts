/**
 * `npm run bench [-- --quick] [--out file.json] [--only layouts|sharded|fleet]`: issue 7's
 * measurements side by side in one run, then issue 15's layout study. Starts (and stops) moto and
 * the LWA emulator itself, prints a Markdown table on stdout (progress goes to stderr) and writes
 * bench/results/latest.json (or `--out`). Figures are reported, never asserted. `--only layouts`
 * runs the layout study alone and merges it into the existing results file, keeping every other
 * figure in it; `--only fleet` does the same for the fleet simulation and the per-region fleet.
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
import { priceLayout } from './fleet/layout';
import { type LayoutFigures, type LayoutScenario, perSellerFigures } from './fleet/layout-figures';
import { summariseRegions } from './fleet/regions';
import { runLayoutScenarios, runScenarios } from './fleet/run-scenarios';
import type { FleetResult, FleetScenario } from './fleet/simulate';
import { PRICES } from './prices';
import { measureRefreshThroughput, type ThroughputSetting } from './refresh-throughput';
import { renderFleet, renderLayoutStudy, renderReport } from './report';
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
  readonly name: 'quick' | 'full';
  readonly throughputSellers: number;
  readonly tokenCalls: number;
  readonly tokenReads: number;
  readonly coldStartRuns: number;
  readonly fleet: readonly FleetScenario[];
  /** Independent regional refreshers (own table, own limiter, own quota), one scenario each. */
  readonly regions: readonly FleetScenario[];
  readonly layouts: readonly LayoutScenario[];
}

const fleet = (
  name: string,
  sellers: number,
  hours: number,
  writeCapPerSecond: number,
  seed?: number,
): FleetScenario => ({
  name,
  sellers,
  hours,
  writeCapPerSecond,
  latencies: FLEET_LATENCIES,
  ...(seed === undefined ? {} : { seed }),
});

/**
 * Three AWS regions, each its own stack with its own 50/s quota: three refreshers that share
 * nothing, each with its own fleet (another seed). The first is the fleet step's own scenario.
 */
const threeRegions = (name: string, sellers: number, hours: number, writeCapPerSecond: number) =>
  [7, 8, 9].map((seed, i) =>
    fleet(i === 0 ? name : `${name}, region ${i + 1}`, sellers, hours, writeCapPerSecond, seed),
  );

const perSeller = (
  name: string,
  sellers: number,
  hours: number,
  writeCapPerSecond: number,
): LayoutScenario => ({
  layout: 'per-seller',
  scenario: fleet(name, sellers, hours, writeCapPerSecond),
});

/**
 * Issue 15's sharded layout, at the deploy's default write cap: a shard write carries N sellers,
 * so the cap is no longer what limits the fleet, LWA is.
 */
const sharded = (
  sellers: number,
  hours: number,
  shardSize: number,
  writeCapPerSecond: number,
  lwaMaxConcurrency: number,
  suffix = '',
): LayoutScenario => ({
  layout: 'sharded',
  scenario: {
    name: `${sellers / 1000}k, shards of ${shardSize}${suffix}`,
    sellers,
    hours,
    shardSize,
    writeCapPerSecond,
    lwaMaxConcurrency,
    latencies: FLEET_LATENCIES,
  },
});

const MODES: Record<'quick' | 'full', Mode> = {
  full: {
    name: 'full',
    throughputSellers: 2000,
    tokenCalls: 1_000_000,
    tokenReads: 10_000,
    coldStartRuns: 20,
    // Each just past 0.95 × cap × 2,880 s (54,720 and 136,800): where a refresher's capacity ends.
    fleet: [fleet('55k @ 20/s', 55_000, 24, 20), fleet('140k @ 50/s', 140_000, 24, 50)],
    regions: threeRegions('140k @ 50/s', 140_000, 24, 50),
    // Longest first, so the two parallel workers finish together. 500,000 sellers refresh at
    // 174 LWA calls/s on average, more than 8 slots of 100 ms give in 50 s of every minute. Shards
    // of 14 at 500,000 need ~26 write-quota calls/s (PutSecretValue and the stage move), past the
    // default cap of 20: the row at 40/s shows what it takes.
    layouts: [
      perSeller('500k, one secret per seller @ 50/s', 500_000, 24, 50),
      perSeller('100k, one secret per seller @ 50/s', 100_000, 24, 50),
      sharded(500_000, 24, 14, 20, 32, ' @ 20/s'),
      sharded(500_000, 24, 14, 40, 32, ' @ 40/s'),
      sharded(500_000, 24, 50, 20, 32, ' @ 20/s'),
      sharded(100_000, 24, 14, 20, 8, ' @ 20/s'),
      sharded(100_000, 24, 50, 20, 8, ' @ 20/s'),
    ],
  },
  // Fleets scaled with their caps keep each scenario's load relative to its cap, over 4 hours. The
  // caps stay at 5/s, where the drain is still the default 3 s, so the capacity is still 0.95 × cap.

  quick: {
    name: 'quick',
    throughputSellers: 200,
    tokenCalls: 1_000_000,
    tokenReads: 10_000,
    coldStartRuns: 5,
    fleet: [
      fleet('13,750 @ 5/s (55k @ 20/s ÷ 4)', 13_750, 4, 5),
      fleet('14k @ 5/s (140k @ 50/s ÷ 10)', 14_000, 4, 5),
    ],
    regions: threeRegions('14k @ 5/s (140k @ 50/s ÷ 10)', 14_000, 4, 5),
    // Fleets, write caps and LWA slots scaled down, over 2 hours; shard sizes kept (the 64 KB
    // ceiling sets them).
    layouts: [
      perSeller('50k, one secret per seller @ 5/s (500k ÷ 10)', 50_000, 2, 5),
      perSeller('10k, one secret per seller @ 5/s (100k ÷ 10)', 10_000, 2, 5),
      sharded(50_000, 2, 14, 2, 8, ' @ 2/s (500k ÷ 10)'),
      sharded(50_000, 2, 14, 4, 8, ' @ 4/s (500k ÷ 10)'),
      sharded(50_000, 2, 50, 2, 8, ' @ 2/s (500k ÷ 10)'),
      sharded(10_000, 2, 14, 2, 2, ' @ 2/s (100k ÷ 10)'),
      sharded(10_000, 2, 50, 2, 2, ' @ 2/s (100k ÷ 10)'),
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

const LAYOUT_STEP = '7. sharded layout study';

/**
 * `--only layouts` runs the layout study alone (it is the slow part worth running apart);
 * `--only sharded` runs only its sharded rows and keeps the rows of today's layout from the file.
 */
function only(argv: readonly string[]): 'layouts' | 'sharded' | 'fleet' | undefined {
  const index = argv.indexOf('--only');
  if (index === -1) return undefined;
  const selection = argv[index + 1];
  if (selection === 'layouts' || selection === 'sharded' || selection === 'fleet') return selection;
  throw new Error(
    '--only takes "layouts" (issue 15\'s layout study), "sharded" (its sharded rows) or "fleet" (the fleet simulation and the per-region fleet)',
  );
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
  const parallel = Math.max(1, Math.min(2, os.cpus().length));
  const layoutStudy = (fleetResults: readonly FleetResult[], kept: readonly LayoutFigures[] = []) =>
    step(LAYOUT_STEP, async () => {
      // A row of today's layout that the fleet step already simulated is not simulated twice.
      const reused = mode.layouts.map((study) => {
        if (study.layout !== 'per-seller') return undefined;
        const row = kept.find((figures) => figures.name === study.scenario.name);
        if (row) return row;
        const k = mode.fleet.findIndex((scenario) => sameFleet(scenario, study.scenario));
        const result = fleetResults[k];
        return result?.maxVersionsPerSecret === undefined
          ? undefined
          : perSellerFigures(study.scenario, result);
      });
      const simulated = await runLayoutScenarios(
        mode.layouts.filter((_, i) => !reused[i]),
        parallel,
        progress,
      );
      let next = 0;
      return mode.layouts.map((_, i) => priceLayout(reused[i] ?? (simulated[next++] as LayoutFigures)));
    });

  // The fleet step simulates the per-region scenarios with it; one the fleet list already has
  // (the same simulation) is not simulated twice.
  const fleetStep = () =>
    step('5. fleet simulation and per-region fleet', async () => {
      const extra = mode.regions.filter((region) => !mode.fleet.some((f) => sameFleet(f, region)));
      const results = await runScenarios([...mode.fleet, ...extra], parallel, progress);
      const fleetResults = results.slice(0, mode.fleet.length);
      const regionResults = mode.regions.map((region) => {
        const k = mode.fleet.findIndex((f) => sameFleet(f, region));
        return (k >= 0 ? results[k] : results[mode.fleet.length + extra.indexOf(region)]) as FleetResult;
      });
      return { fleet: fleetResults, regions: summariseRegions(regionResults) };
    });

  const selection = only(process.argv);
  if (selection) {
    const existing = JSON.parse(fs.readFileSync(output, 'utf8')) as BenchResults;
    if (existing.mode !== mode.name) {
      throw new Error(
        `${path.relative(process.cwd(), output)} holds a ${existing.mode}-mode run; merge a ${mode.name}-mode study into it with${existing.mode === 'quick' ? '' : 'out'} --quick, or pick another file with --out`,
      );
    }
    if (selection === 'fleet') {
      const { fleet, regions } = await fleetStep();
      const merged: BenchResults = {
        ...existing,
        stepSeconds: { ...existing.stepSeconds, ...stepSeconds },
        fleet,
        regions,
        fleetDate: new Date().toISOString(),
      };
      fs.writeFileSync(output, `${JSON.stringify(merged, null, 2)}\n`);
      process.stdout.write(`${renderFleet(merged).join('\n')}\n`);
      progress(
        `[${elapsed(started)}] merged the fleet simulation into ${path.relative(process.cwd(), output)}`,
      );
      return;
    }
    const kept = selection === 'sharded' ? keptPerSellerRows(existing, mode) : [];
    const layouts = await layoutStudy([], kept);
    const merged: BenchResults = {
      ...existing,
      stepSeconds: { ...existing.stepSeconds, ...stepSeconds },
      layouts,
      layoutsDate: new Date().toISOString(),
    };
    fs.writeFileSync(output, `${JSON.stringify(merged, null, 2)}\n`);
    process.stdout.write(`${renderLayoutStudy(merged).join('\n')}\n`);
    progress(`[${elapsed(started)}] merged the layout study into ${path.relative(process.cwd(), output)}`);
    return;
  }

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
  const { fleet: fleetResults, regions } = await fleetStep();
  const layouts = await layoutStudy(fleetResults);

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
    regions,
    cost: cost(throughput),
    layouts,
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

/** The rows of today's layout a `--only sharded` run keeps; every one the mode lists must be there. */
function keptPerSellerRows(existing: BenchResults, mode: Mode): LayoutFigures[] {
  const rows = (existing.layouts ?? []).filter((row) => row.layout === 'per-seller');
  for (const study of mode.layouts) {
    if (study.layout === 'per-seller' && !rows.some((row) => row.name === study.scenario.name)) {
      throw new Error(
        `the results file has no row "${study.scenario.name}" to keep; run the whole study with --only layouts`,
      );
    }
  }
  return rows;
}

/** The same simulation, whatever it is called. */
function sameFleet(a: FleetScenario, b: FleetScenario): boolean {
  return (
    a.sellers === b.sellers &&
    a.hours === b.hours &&
    a.writeCapPerSecond === b.writeCapPerSecond &&
    a.latencies.awsMs === b.latencies.awsMs &&
    a.latencies.lwaMs === b.latencies.lwaMs &&
    (a.seed ?? 7) === (b.seed ?? 7)
  );
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
