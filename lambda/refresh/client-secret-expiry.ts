import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AppCredentialsProvider } from '../shared/app-credentials';
import {
  isRotationUnderWay,
  readRotationRecord,
  rotationRecordKey,
  rotationRecordTtl,
} from '../shared/client-secret-rotation-record';
import { type Clock, toEpochSeconds } from '../shared/clock';
import { LifecycleEvent, type LifecycleEventPublisher } from '../shared/lifecycle-events';
import { errorName } from '../shared/logger';
import type { RefreshLog } from './refresher';

/** Days before `clientSecretExpiresAt` at which "Client secret expiring" is sent, once each. */
export const EXPIRING_THRESHOLDS_DAYS = [1, 7, 30] as const;
const DAY_MS = 86_400_000;

export interface ClientSecretExpiryCheck {
  readonly appCredentials: Pick<AppCredentialsProvider, 'get'>;
  readonly documentClient: DynamoDBDocumentClient;
  readonly stateTableName: string;
  readonly clock: Clock;
  readonly events: LifecycleEventPublisher;
  readonly log: RefreshLog;
}

/**
 * Once per refresh run: is the app's client secret within 30 days of expiry with no rotation
 * under way? Then the `ClientSecretExpiring` metric is 1 (its alarm fires), and the
 * "Client secret expiring" event goes out once per threshold (30, 7, 1 days), recorded on the
 * expiry's rotation record so overlapping runs and later runs don't repeat it. The check never
 * fails the run: the refresh of every seller matters more than this warning.
 */
export async function checkClientSecretExpiry(check: ClientSecretExpiryCheck): Promise<boolean> {
  try {
    const credentials = await check.appCredentials.get();
    const expiresAtMs = Date.parse(credentials.clientSecretExpiresAt ?? '');
    // Without a known expiry (before the first rotation stored one) there is nothing to warn about.
    if (Number.isNaN(expiresAtMs)) return false;
    const now = check.clock();
    const daysLeft = (expiresAtMs - now) / DAY_MS;
    const threshold = EXPIRING_THRESHOLDS_DAYS.find((days) => daysLeft <= days);
    if (threshold === undefined) return false;
    const clientSecretExpiresAt = new Date(expiresAtMs).toISOString();
    const pk = rotationRecordKey(credentials.clientId, clientSecretExpiresAt);
    const record = await readRotationRecord(check.documentClient, check.stateTableName, pk);
    if (isRotationUnderWay(record, toEpochSeconds(now))) return false;
    if (
      !record?.expiringEventsSent?.has(threshold) &&
      (await claimThreshold(check, pk, threshold, expiresAtMs))
    ) {
      await check.events.publish(LifecycleEvent.ClientSecretExpiring, {
        kind: 'app',
        reason: `expires-within-${threshold}-days`,
        clientSecretExpiresAt,
      });
    }
    check.log.warn(
      'The LWA client secret expires soon and no rotation is under way. Check that the notification queue is registered for "Application client secret expiry" in the Developer Console, or run `npx lwa-tokens rotate-client-secret`.',
      { clientSecretExpiresAt, daysLeft: Math.max(0, Math.floor(daysLeft)) },
    );
    return true;
  } catch (error) {
    check.log.warn('Could not check when the client secret expires; the refresh goes on', {
      error: errorName(error),
    });
    return false;
  }
}

/** True for the one run that records the threshold; the others see it taken. */
async function claimThreshold(
  check: ClientSecretExpiryCheck,
  pk: string,
  threshold: number,
  expiresAtMs: number,
): Promise<boolean> {
  try {
    await check.documentClient.send(
      new UpdateCommand({
        TableName: check.stateTableName,
        Key: { pk },
        UpdateExpression: 'ADD expiringEventsSent :threshold SET expiresAt = if_not_exists(expiresAt, :ttl)',
        ConditionExpression:
          'attribute_not_exists(expiringEventsSent) OR NOT contains(expiringEventsSent, :t)',
        ExpressionAttributeValues: {
          ':threshold': new Set([threshold]),
          ':t': threshold,
          ':ttl': rotationRecordTtl(new Date(expiresAtMs).toISOString(), toEpochSeconds(check.clock())),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    check.log.warn(
      'Could not record the "Client secret expiring" event, so it was not sent; the refresher needs dynamodb:UpdateItem on its client-secret-rotation# items of the state table',
      { error: errorName(error) },
    );
    return false;
  }
}
