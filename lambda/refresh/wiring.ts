import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AppCredentialsProvider } from '../shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient, DEFAULT_AWS_RETRY } from '../shared/aws-clients';
import { realSleep, type Sleep } from '../shared/backoff';
import { type Clock, systemClock } from '../shared/clock';
import { EventBridgePublisher, noLifecycleEvents } from '../shared/lifecycle-events';
import { LwaClient } from '../shared/lwa-client';
import { TokenStore } from '../shared/token-store';
import type { RefreshHandlerConfig } from './config';
import { RateLimiter, Semaphore } from './pacing';
import { RefreshRepository } from './refresh-repository';
import type { RefreshDeps, RefreshLog } from './refresher';

export interface RefreshRuntime {
  readonly log: RefreshLog;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly secretsManager?: SecretsManagerClient;
  readonly documentClient?: DynamoDBDocumentClient;
  readonly lwaTimeoutMs?: number;
  /** Called for each lifecycle event dropped after its retries (the handler counts a metric). */
  readonly onEventDropped?: () => void;
}

/**
 * Builds the refresher's dependencies from its configuration. The handler calls it once per
 * execution environment with the system clock; simulations call it with a simulated one.
 */
export function createRefreshDeps(config: RefreshHandlerConfig, runtime: RefreshRuntime): RefreshDeps {
  const clock = runtime.clock ?? systemClock;
  const sleep = runtime.sleep ?? realSleep;
  const random = runtime.random ?? Math.random;
  const secretsManager = runtime.secretsManager ?? createSecretsManagerClient();
  const documentClient = runtime.documentClient ?? createDocumentClient();
  const appCredentials = new AppCredentialsProvider(secretsManager, config.appSecretId, clock);
  const events = config.eventBusName
    ? new EventBridgePublisher(new EventBridgeClient({}), config.eventBusName, {
        retry: { ...DEFAULT_AWS_RETRY, sleep, random },
        log: runtime.log,
        onDropped: runtime.onEventDropped,
      })
    : noLifecycleEvents;
  return {
    repository: new RefreshRepository(documentClient, config.sellerTableName),
    // Writes get no SDK retries of their own: each retry is the token store's, and goes through
    // the write pacer. An injected client (tests, simulations) is used for both.
    tokens: new TokenStore(
      secretsManager,
      { ...DEFAULT_AWS_RETRY, sleep, random },
      runtime.secretsManager ?? createSecretsManagerClient({ maxAttempts: 1 }),
    ),
    lwa: new LwaClient({ timeoutMs: runtime.lwaTimeoutMs ?? 10_000 }),
    appCredentials,
    secretWrites: new RateLimiter(config.secretsWritesPerSecond, clock, sleep),
    lwaCalls: new Semaphore(config.lwaMaxConcurrency),
    clock,
    sleep,
    random,
    lwaRetry: { baseDelayMs: 250, maxDelayMs: 5_000 },
    log: runtime.log,
    events,
    ...(config.stateTableName
      ? {
          clientSecretExpiry: {
            appCredentials,
            documentClient,
            stateTableName: config.stateTableName,
            clock,
            events,
            log: runtime.log,
          },
        }
      : {}),
    config,
  };
}
