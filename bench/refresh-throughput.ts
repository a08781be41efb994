/**
 * Measurements 1 and 2: one real refresh run (the real wiring, clock and sleep) over N due
 * sellers in moto, with LWA answering after 100 ms. The run's SDK clients go through a counting
 * proxy, so every AWS request is counted by operation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadRefreshConfig } from '../lambda/refresh/config';
import type { RefreshLog, RefreshRunSummary } from '../lambda/refresh/refresher';
import { runRefresh } from '../lambda/refresh/refresher';
import { createRefreshDeps } from '../lambda/refresh/wiring';
import { startLwaEmulator } from '../test/emulators/lwa';
import { deployToEmulators } from '../test/support/emulated-deployment';
import { startFaultProxy } from '../test/support/fault-proxy';
import {
  type CallsPerRefresh,
  callsPerRefresh,
  ratio,
  serviceLatencyMs,
  throughputBound,
} from './arithmetic';
import { seedDueSellers } from './seed';

export interface ThroughputSetting {
  readonly name: string;
  readonly concurrency: number;
  readonly lwaMaxConcurrency: number;
  readonly writeCapPerSecond: number;
}

export interface ThroughputResult {
  readonly setting: ThroughputSetting;
  readonly sellers: number;
  readonly lwaLatencyMs: number;
  readonly summary: RefreshRunSummary;
  readonly wallSeconds: number;
  readonly sellersPerSecond: number;
  /** Mean lease → item update time per refresh, queueing excluded (see serviceLatencyMs). */
  readonly perRefreshLatencyMs: number;
  readonly meanWallPerRefreshMs: number;
  readonly meanWriteLimiterWaitMs: number;
  readonly meanLwaQueueWaitMs: number;
  readonly meanLwaCallMs: number;
  /** Mean latency of each AWS operation as the SDK saw it (through the proxy, into moto). */
  readonly awsOperationMs: Record<string, number>;
  readonly boundPerSecond: number;
  readonly boundLimitedBy: string;
  readonly ratioToBound: number;
  readonly awsCalls: Record<string, number>;
  readonly calls: CallsPerRefresh;
  readonly lwaCallsPerRefresh: number;
  /** A second run right after, with nothing due: the floor every scheduled invocation pays. */
  readonly idleRun: { wallSeconds: number; awsCalls: Record<string, number> };
  readonly logWarnings: number;
}

export async function measureRefreshThroughput(input: {
  setting: ThroughputSetting;
  sellers: number;
  lwaLatencyMs: number;
  motoEndpoint: string;
  progress: (line: string) => void;
}): Promise<ThroughputResult> {
  const { setting, progress } = input;
  const lwa = await startLwaEmulator();
  const proxy = await startFaultProxy(input.motoEndpoint, { record: false });
  const secretsManager = new SecretsManagerClient({ endpoint: proxy.url });
  const dynamodb = new DynamoDBClient({ endpoint: proxy.url });
  const awsTimes = new Map<string, { count: number; totalMs: number }>();
  const recordAws = (operation: string, ms: number) => {
    const entry = awsTimes.get(operation) ?? { count: 0, totalMs: 0 };
    entry.count++;
    entry.totalMs += ms;
    awsTimes.set(operation, entry);
  };
  secretsManager.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        recordAws(context.commandName ?? '?', performance.now() - started);
      }
    },
    { step: 'initialize', name: 'benchTiming' },
  );
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        recordAws(context.commandName ?? '?', performance.now() - started);
      }
    },
    { step: 'initialize', name: 'benchTiming' },
  );
  const deployment = await deployToEmulators({ lwaUrl: lwa.url, namePrefix: 'bench' });
  try {
    progress(`  seeding ${input.sellers} due sellers (${setting.name})`);
    await seedDueSellers({
      deployment,
      lwa,
      count: input.sellers,
      tag: setting.name.slice(0, 3).toUpperCase(),
      progress,
    });
    lwa.injectFault({
      kind: 'latency',
      ms: input.lwaLatencyMs,
      grantType: 'refresh_token',
      times: 1_000_000_000,
    });

    const config = loadRefreshConfig({
      ...deployment.env,
      REFRESH_CONCURRENCY: String(setting.concurrency),
      LWA_MAX_CONCURRENCY: String(setting.lwaMaxConcurrency),
      SECRETS_WRITES_PER_SECOND: String(setting.writeCapPerSecond),
    });
    let logWarnings = 0;
    const log: RefreshLog = {
      info: () => {},
      warn: () => {
        logWarnings++;
      },
      error: () => {
        logWarnings++;
      },
    };
    const deps = createRefreshDeps(config, {
      log,
      secretsManager,
      documentClient: DynamoDBDocumentClient.from(dynamodb, {
        marshallOptions: { removeUndefinedValues: true },
      }),
    });
    const stats = instrument(deps);

    proxy.reset();
    awsTimes.clear();
    const lwaBefore = lwa.callCount('refresh_token');
    progress(`  refresh run over ${input.sellers} sellers (${setting.name}) …`);
    const timer = setInterval(
      () => progress(`  … ${stats.refreshes}/${input.sellers} refreshed`),
      10_000,
    ).unref();
    const started = performance.now();
    const summary = await runRefresh(deps, { deadlineMs: Date.now() + 30 * 60_000 });
    const wallSeconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    const awsCalls = proxy.counts();
    const lwaCalls = lwa.callCount('refresh_token') - lwaBefore;

    proxy.reset();
    const idleStarted = performance.now();
    await runRefresh(deps, { deadlineMs: Date.now() + 60_000 });
    const idleRun = { wallSeconds: (performance.now() - idleStarted) / 1000, awsCalls: proxy.counts() };

    if (summary.refreshed === 0)
      throw new Error(`the ${setting.name} run refreshed nobody: ${JSON.stringify(summary)}`);
    const perRefreshLatencyMs = serviceLatencyMs({
      refreshes: stats.refreshes,
      wallMs: stats.wallMs,
      rateLimiterWaitMs: stats.writeWaitMs,
      lwaQueueWaitMs: stats.lwaQueueMs,
    });
    const bound = throughputBound({
      concurrency: setting.concurrency,
      perRefreshLatencyMs,
      writeCapPerSecond: setting.writeCapPerSecond,
    });
    const sellersPerSecond = summary.refreshed / wallSeconds;
    return {
      setting,
      sellers: input.sellers,
      lwaLatencyMs: input.lwaLatencyMs,
      summary,
      wallSeconds,
      sellersPerSecond,
      perRefreshLatencyMs,
      meanWallPerRefreshMs: stats.wallMs / stats.refreshes,
      meanWriteLimiterWaitMs: stats.writeWaitMs / stats.refreshes,
      meanLwaQueueWaitMs: stats.lwaQueueMs / stats.refreshes,
      meanLwaCallMs: stats.lwaMs / Math.max(1, stats.lwaCalls),
      awsOperationMs: Object.fromEntries(
        [...awsTimes].map(([operation, { count, totalMs }]) => [operation, totalMs / count]),
      ),
      boundPerSecond: bound.perSecond,
      boundLimitedBy: bound.limitedBy,
      ratioToBound: ratio(sellersPerSecond, bound.perSecond),
      awsCalls,
      calls: callsPerRefresh(awsCalls, summary.refreshed),
      lwaCallsPerRefresh: lwaCalls / summary.refreshed,
      idleRun,
      logWarnings,
    };
  } finally {
    secretsManager.destroy();
    dynamodb.destroy();
    deployment.secretsManager.destroy();
    deployment.documentClient.destroy();
    await proxy.stop();
    await lwa.stop();
  }
}

interface RunStats {
  refreshes: number;
  wallMs: number;
  writeWaitMs: number;
  lwaQueueMs: number;
  lwaMs: number;
  lwaCalls: number;
}

/**
 * Times each refresh from its lease to its item update, and the time it spent queueing for the
 * write limiter and for an LWA slot, by wrapping the methods of the objects the real wiring built.
 */
function instrument(deps: ReturnType<typeof createRefreshDeps>): RunStats {
  const stats: RunStats = { refreshes: 0, wallMs: 0, writeWaitMs: 0, lwaQueueMs: 0, lwaMs: 0, lwaCalls: 0 };
  const startedAt = new Map<string, number>();
  const keyOf = (due: { sellerId: string; region: string }) => `${due.region}#${due.sellerId}`;

  const repository = deps.repository;
  const acquireLease = repository.acquireLease.bind(repository);
  repository.acquireLease = (due, ...rest) => {
    startedAt.set(keyOf(due), performance.now());
    return acquireLease(due, ...rest);
  };
  const recordRefreshed = repository.recordRefreshed.bind(repository);
  repository.recordRefreshed = async (due, owner, update) => {
    const kept = await recordRefreshed(due, owner, update);
    const started = startedAt.get(keyOf(due));
    if (kept.outcome === 'written' && update.refreshed && started !== undefined) {
      stats.refreshes++;
      stats.wallMs += performance.now() - started;
    }
    return kept;
  };

  const limiter = deps.secretWrites;
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = async () => {
    const started = performance.now();
    await acquire();
    stats.writeWaitMs += performance.now() - started;
  };

  const semaphore = deps.lwaCalls;
  const use = semaphore.use.bind(semaphore);
  semaphore.use = <T>(work: () => Promise<T>): Promise<T> => {
    const queued = performance.now();
    return use(async () => {
      const started = performance.now();
      stats.lwaQueueMs += started - queued;
      try {
        return await work();
      } finally {
        stats.lwaMs += performance.now() - started;
        stats.lwaCalls++;
      }
    });
  };
  return stats;
}
