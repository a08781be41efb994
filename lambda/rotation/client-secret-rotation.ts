import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AppCredentials,
  AppCredentialsError,
  type AppCredentialsProvider,
  parseAppCredentials,
  withClientSecret,
} from '../shared/app-credentials';
import { type BackoffOptions, isRetryableAwsError, retryWithBackoff } from '../shared/backoff';
import {
  ROTATION_UNDER_WAY_SECONDS,
  RotationState,
  rotationRecordKey,
  rotationRecordTtl,
  UNKNOWN_EXPIRY,
} from '../shared/client-secret-rotation-record';
import { type Clock, toEpochSeconds } from '../shared/clock';
import { LifecycleEvent, type LifecycleEventPublisher } from '../shared/lifecycle-events';
import { errorName } from '../shared/logger';
import { type LwaClient, LwaError } from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import {
  type ApplicationManagementClient,
  ApplicationManagementError,
  ROTATION_SCOPE,
} from './application-management';
import { type ClientNewSecretNotice, parseRotationNotification } from './notifications';

export interface ClientSecretRotationConfig {
  readonly appSecretId: string;
  readonly stateTableName: string;
  /** The region the app is registered in: where its SP-API and LWA calls go. */
  readonly applicationRegion: Region;
  /** LWA base URL for the application region. */
  readonly lwaEndpoint: string;
  /** SP-API base URL for the application region. */
  readonly spApiEndpoint: string;
}

export interface ClientSecretRotationDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly documentClient: DynamoDBDocumentClient;
  readonly appCredentials: AppCredentialsProvider;
  readonly lwa: LwaClient;
  readonly spApi: ApplicationManagementClient;
  readonly clock: Clock;
  /** Retries of throttled Secrets Manager writes. */
  readonly retry: BackoffOptions;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly events: LifecycleEventPublisher;
  readonly config: ClientSecretRotationConfig;
}

/** Asking again may succeed: LWA or SP-API failed transiently, or a write failed. */
export class RotationRetryableError extends Error {
  constructor(readonly code: string) {
    super(`The client-secret rotation failed transiently (${code}); it is retried.`);
    this.name = 'RotationRetryableError';
  }
}

/** Amazon refused the rotation; asking again cannot succeed until an operator fixes the app. */
export class RotationRejectedError extends Error {
  constructor(
    readonly code: string,
    fix: string,
  ) {
    super(
      `The client secret could not be rotated (${code}). ${fix} Then run \`npx lwa-tokens rotate-client-secret\`.`,
    );
    this.name = 'RotationRejectedError';
  }
}

/** What an operator must fix, by who refused and how; never built from a secret. */
function rejectionFix(error: unknown): string {
  if (error instanceof ApplicationManagementError && error.kind === 'forbidden') {
    return (
      `Amazon refused the rotation: check that the app may rotate its client secret and that its LWA client may ` +
      `use the grantless scope ${ROTATION_SCOPE} (Developer Console), and that APPLICATION_REGION is the app's region.`
    );
  }
  if (error instanceof ApplicationManagementError) {
    return 'SP-API refused the request: check SPAPI_ENDPOINTS and APPLICATION_REGION (the applicationRegion prop).';
  }
  if (error instanceof LwaError && error.kind === 'invalid_scope') {
    return `LWA refused the grantless scope ${ROTATION_SCOPE}: the app must be allowed to rotate its secret.`;
  }
  if (error instanceof LwaError) {
    return "LWA rejected the app's client id or secret (every usable secret was tried after a fresh read): fix the app credentials secret.";
  }
  return error instanceof AppCredentialsError ? error.message : 'Check the app credentials secret.';
}

export type RotationRequestOutcome = 'requested' | 'already-requested' | 'already-rotated';
export type NewSecretOutcome = 'stored' | 'unchanged' | 'stale';
export type NotificationOutcome = RotationRequestOutcome | NewSecretOutcome | 'dropped';

/** A claim that has not finished after this long is from a caller that died; another may take over. */
export const STALE_CLAIM_SECONDS = 300;

/**
 * Asks Amazon for a new client secret, at most once per expiry time: the rotation record is
 * claimed with a conditional write first, so redelivered notices and an operator's CLI call
 * racing a notice never call the API twice (it allows one call a minute). Only a request that
 * failed, was refused, or was accepted a day ago with no new secret since may be made again.
 */
export async function requestClientSecretRotation(
  deps: ClientSecretRotationDeps,
  input: { clientId: string; clientSecretExpiryTime?: string; trigger: 'notification' | 'operator' },
): Promise<RotationRequestOutcome> {
  // Normalised like the notice's time, so the refresher's check finds the same record.
  const expiryMs = Date.parse(input.clientSecretExpiryTime ?? '');
  const expiry = Number.isNaN(expiryMs) ? UNKNOWN_EXPIRY : new Date(expiryMs).toISOString();
  const pk = rotationRecordKey(input.clientId, expiry);
  const attemptAt = toEpochSeconds(deps.clock());
  if (!(await claimRotation(deps, pk, expiry, attemptAt, input.trigger))) {
    deps.log.info('The client secret rotation for this expiry was already requested; nothing to do', {
      clientSecretExpiryTime: expiry,
    });
    return 'already-requested';
  }
  try {
    const token = await grantlessRotationToken(deps);
    await deps.spApi.rotateClientSecret(deps.config.spApiEndpoint, token);
  } catch (error) {
    const rejected = isRejection(error);
    await finishClaim(deps, pk, attemptAt, rejected ? RotationState.Rejected : RotationState.Failed);
    const code =
      error instanceof LwaError || error instanceof ApplicationManagementError
        ? error.code
        : errorName(error);
    if (rejected) throw new RotationRejectedError(code, rejectionFix(error));
    throw new RotationRetryableError(code);
  }
  await finishClaim(deps, pk, attemptAt, RotationState.Requested);
  deps.log.info('Asked Amazon for a new client secret; it arrives as a notification', {
    clientSecretExpiryTime: expiry,
    trigger: input.trigger,
  });
  return 'requested';
}

function isRejection(error: unknown): boolean {
  if (error instanceof ApplicationManagementError) return error.kind !== 'transient';
  // LWA refusing the app or the scope is a configuration fault, not worth retrying.
  if (error instanceof LwaError) return error.kind === 'app' || error.kind === 'invalid_scope';
  return error instanceof AppCredentialsError;
}

async function grantlessRotationToken(deps: ClientSecretRotationDeps): Promise<string> {
  const token = await withClientSecret(
    deps.appCredentials,
    deps.clock,
    (credentials, clientSecret) =>
      deps.lwa.grantlessToken(deps.config.lwaEndpoint, {
        clientId: credentials.clientId,
        clientSecret,
        scope: ROTATION_SCOPE,
      }),
    (error) => error instanceof LwaError && error.kind === 'app',
  );
  return token.accessToken;
}

async function claimRotation(
  deps: ClientSecretRotationDeps,
  pk: string,
  expiry: string,
  attemptAt: number,
  trigger: string,
): Promise<boolean> {
  try {
    await deps.documentClient.send(
      new UpdateCommand({
        TableName: deps.config.stateTableName,
        Key: { pk },
        UpdateExpression:
          'SET #state = :calling, attemptAt = :now, clientSecretExpiryTime = :expiry, #trigger = :trigger, expiresAt = :ttl',
        // A request Amazon accepted a day ago without a new secret arriving may be made again.
        ConditionExpression:
          'attribute_not_exists(#state) OR #state IN (:failed, :rejected) OR (#state = :calling AND attemptAt < :stale) ' +
          'OR (#state = :requested AND requestedAt < :unanswered)',
        ExpressionAttributeNames: { '#state': 'state', '#trigger': 'trigger' },
        ExpressionAttributeValues: {
          ':calling': RotationState.Calling,
          ':failed': RotationState.Failed,
          ':rejected': RotationState.Rejected,
          ':requested': RotationState.Requested,
          ':unanswered': attemptAt - ROTATION_UNDER_WAY_SECONDS,
          ':now': attemptAt,
          ':stale': attemptAt - STALE_CLAIM_SECONDS,
          ':expiry': expiry,
          ':trigger': trigger,
          ':ttl': rotationRecordTtl(expiry, attemptAt),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Only the claim's own holder may finish it; a stale holder finding its claim taken leaves it. */
async function finishClaim(
  deps: ClientSecretRotationDeps,
  pk: string,
  attemptAt: number,
  state: RotationState,
): Promise<void> {
  try {
    await deps.documentClient.send(
      new UpdateCommand({
        TableName: deps.config.stateTableName,
        Key: { pk },
        UpdateExpression:
          state === RotationState.Requested
            ? 'SET #state = :state, requestedAt = :now'
            : 'SET #state = :state',
        ConditionExpression: '#state = :calling AND attemptAt = :attemptAt',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': state,
          ':calling': RotationState.Calling,
          ':attemptAt': attemptAt,
          ...(state === RotationState.Requested ? { ':now': toEpochSeconds(deps.clock()) } : {}),
        },
      }),
    );
  } catch (error) {
    // The claim goes stale and is taken over; the outcome the caller reports is still true.
    deps.log.warn('Could not record the rotation outcome', { state, error: errorName(error) });
  }
}

/**
 * The Secrets Manager idempotency token of a new-secret notice's write: the same notification
 * always writes with the same token, so a redelivery racing the first write cannot add a version.
 */
export function clientRequestTokenFor(notificationId: string): string {
  const hex = createHash('sha256').update(`client-secret-rotation:${notificationId}`).digest('hex');
  // Laid out as a UUID (version nibble 5, RFC 4122 variant), within ClientRequestToken's 32-64 chars.
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface StoredAppSecret {
  readonly raw: Record<string, unknown>;
  readonly credentials: AppCredentials;
}

async function readAppSecret(deps: ClientSecretRotationDeps): Promise<StoredAppSecret> {
  let secretString: string | undefined;
  try {
    const output = await retryWithBackoff(
      () => deps.secretsManager.send(new GetSecretValueCommand({ SecretId: deps.config.appSecretId })),
      isRetryableAwsError,
      deps.retry,
    );
    secretString = output.SecretString;
  } catch (error) {
    throw new AppCredentialsError(
      `Could not read the app credentials secret ${deps.config.appSecretId} (${errorName(error)}); check APP_SECRET_ID and the function's permissions.`,
    );
  }
  const credentials = parseAppCredentials(deps.config.appSecretId, secretString);
  return { raw: JSON.parse(secretString ?? '{}') as Record<string, unknown>, credentials };
}

/**
 * Stores Amazon's new secret as DESIGN.md says: the new one current, the old one previous until
 * it expires. It reads the stored secret first, so a redelivered or late notice never moves the
 * new secret into `previousClientSecret` (which would lose the old one while it is still needed).
 */
export async function storeNewClientSecret(
  deps: ClientSecretRotationDeps,
  notice: ClientNewSecretNotice,
): Promise<NewSecretOutcome | 'other-client'> {
  const { raw, credentials } = await readAppSecret(deps);
  if (notice.clientId !== credentials.clientId) return 'other-client';
  if (notice.newClientSecret === credentials.clientSecret) return 'unchanged';
  const storedExpiry = Date.parse(credentials.clientSecretExpiresAt ?? '');
  if (
    notice.newClientSecret === credentials.previousClientSecret ||
    (!Number.isNaN(storedExpiry) && Date.parse(notice.newClientSecretExpiryTime) < storedExpiry)
  ) {
    return 'stale';
  }
  const next = {
    ...raw,
    clientSecret: notice.newClientSecret,
    previousClientSecret: credentials.clientSecret,
    previousClientSecretExpiresAt: notice.oldClientSecretExpiryTime,
    clientSecretExpiresAt: notice.newClientSecretExpiryTime,
  };
  try {
    await retryWithBackoff(
      () =>
        deps.secretsManager.send(
          new PutSecretValueCommand({
            SecretId: deps.config.appSecretId,
            ClientRequestToken: clientRequestTokenFor(notice.notificationId),
            SecretString: JSON.stringify(next),
          }),
        ),
      isRetryableAwsError,
      deps.retry,
    );
  } catch (error) {
    // This token already wrote a version with other content: the notice was applied before.
    if (errorName(error) === 'ResourceExistsException') return 'unchanged';
    if (isRetryableAwsError(error)) throw new RotationRetryableError(errorName(error));
    throw error;
  }
  deps.appCredentials.invalidate();
  deps.log.info('Stored the new client secret; the previous one stays usable until it expires', {
    clientSecretExpiresAt: notice.newClientSecretExpiryTime,
    previousClientSecretExpiresAt: notice.oldClientSecretExpiryTime,
  });
  await deps.events.publish(LifecycleEvent.ClientSecretRotated, {
    kind: 'app',
    reason: 'new-secret-notification',
    clientSecretExpiresAt: notice.newClientSecretExpiryTime,
    previousClientSecretExpiresAt: notice.oldClientSecretExpiryTime,
  });
  return 'stored';
}

/**
 * One notification from the queue. Our two types for our client id are acted on; everything
 * else is dropped with one log line naming only its type, because the body may hold a secret.
 */
export async function handleRotationNotification(
  deps: ClientSecretRotationDeps,
  body: string,
): Promise<NotificationOutcome> {
  const notice = parseRotationNotification(body);
  const drop = (notificationType: string | undefined): 'dropped' => {
    deps.log.warn('Dropped a notification this function does not handle', {
      notificationType: notificationType ?? 'unknown',
    });
    return 'dropped';
  };
  if (notice.kind === 'ignored') return drop(notice.notificationType);
  if (notice.kind === 'expiry') {
    const credentials = await deps.appCredentials.get();
    if (notice.clientId !== credentials.clientId) return drop('APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY');
    // An operator's rotation (or an earlier notice) already replaced the secret this notice is about.
    if (Date.parse(credentials.clientSecretExpiresAt ?? '') > Date.parse(notice.clientSecretExpiryTime)) {
      deps.log.info('The client secret this notice is about was already replaced; nothing to do', {
        clientSecretExpiryTime: notice.clientSecretExpiryTime,
      });
      return 'already-rotated';
    }
    return requestClientSecretRotation(deps, {
      clientId: notice.clientId,
      clientSecretExpiryTime: notice.clientSecretExpiryTime,
      trigger: 'notification',
    });
  }
  const outcome = await storeNewClientSecret(deps, notice);
  if (outcome === 'other-client') return drop('APPLICATION_OAUTH_CLIENT_NEW_SECRET');
  if (outcome !== 'stored') {
    deps.log.info('The new client secret was already stored, or a newer one is; nothing changed', {
      outcome,
    });
  }
  return outcome;
}
