import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AppCredentialsProvider } from '../shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient, DEFAULT_AWS_RETRY } from '../shared/aws-clients';
import { realSleep, type Sleep } from '../shared/backoff';
import { type Clock, systemClock } from '../shared/clock';
import { EventBridgePublisher, noLifecycleEvents } from '../shared/lifecycle-events';
import { LwaClient } from '../shared/lwa-client';
import { ApplicationManagementClient } from './application-management';
import type { ClientSecretRotationConfig, ClientSecretRotationDeps } from './client-secret-rotation';

export interface RotationRuntime {
  readonly log: ClientSecretRotationDeps['log'];
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly secretsManager?: SecretsManagerClient;
  readonly documentClient?: DynamoDBDocumentClient;
  readonly eventBusName?: string;
  /** Called for each lifecycle event dropped after its retries. */
  readonly onEventDropped?: () => void;
}

/** The rotation core's dependencies; the handler and the CLI build them the same way. */
export function createRotationDeps(
  config: ClientSecretRotationConfig,
  runtime: RotationRuntime,
): ClientSecretRotationDeps {
  const clock = runtime.clock ?? systemClock;
  const secretsManager = runtime.secretsManager ?? createSecretsManagerClient();
  const retry = { ...DEFAULT_AWS_RETRY, sleep: runtime.sleep ?? realSleep, random: Math.random };
  return {
    secretsManager,
    documentClient: runtime.documentClient ?? createDocumentClient(),
    appCredentials: new AppCredentialsProvider(secretsManager, config.appSecretId, clock),
    lwa: new LwaClient(),
    spApi: new ApplicationManagementClient(),
    clock,
    retry,
    log: runtime.log,
    events: runtime.eventBusName
      ? new EventBridgePublisher(new EventBridgeClient({}), runtime.eventBusName, {
          retry,
          log: runtime.log,
          onDropped: runtime.onEventDropped,
        })
      : noLifecycleEvents,
    config,
  };
}
