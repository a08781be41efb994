import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * One item per client id and expiry time in the state table (DESIGN.md, "Client-secret
 * rotation"): the rotation function claims it before it asks Amazon for a new secret, so a
 * redelivered expiry notice never rotates twice, and the refresher reads it to tell whether a
 * rotation is under way and which "Client secret expiring" events were already sent.
 */
export const RotationState = {
  /** A caller is asking Amazon right now; another may take over once it is stale. */
  Calling: 'CALLING',
  /** Amazon answered 204; the new secret arrives as a notification. */
  Requested: 'REQUESTED',
  /** Amazon or LWA failed transiently; the next delivery may ask again. */
  Failed: 'FAILED',
  /** Amazon refused (403); an operator must fix the app, then ask again. */
  Rejected: 'REJECTED',
} as const;
export type RotationState = (typeof RotationState)[keyof typeof RotationState];

/** The key used when the app secret does not say when the current secret expires. */
export const UNKNOWN_EXPIRY = 'unknown';

export function rotationRecordKey(clientId: string, clientSecretExpiryTime: string): string {
  return `client-secret-rotation#${clientId}#${clientSecretExpiryTime}`;
}

export interface RotationRecord {
  readonly pk: string;
  readonly state?: RotationState;
  /** Epoch seconds of the last claim. */
  readonly attemptAt?: number;
  /** Epoch seconds when Amazon accepted the request. */
  readonly requestedAt?: number;
  /** Days-before-expiry thresholds (30, 7, 1) whose "Client secret expiring" event was sent. */
  readonly expiringEventsSent?: Set<number>;
  /** TTL attribute of the state table. */
  readonly expiresAt?: number;
}

/**
 * A rotation is under way when Amazon accepted a request within the last day: the new secret
 * normally arrives within minutes, so after a day the request counts as lost and may be repeated.
 */
export const ROTATION_UNDER_WAY_SECONDS = 24 * 3600;

export function isRotationUnderWay(record: RotationRecord | undefined, nowSeconds: number): boolean {
  if (!record) return false;
  if (record.state === RotationState.Requested) {
    return (record.requestedAt ?? 0) > nowSeconds - ROTATION_UNDER_WAY_SECONDS;
  }
  return record.state === RotationState.Calling;
}

export async function readRotationRecord(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
): Promise<RotationRecord | undefined> {
  const output = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }),
  );
  return output.Item as RotationRecord | undefined;
}

/** Keep a record 30 days past the expiry it is about; a record without a known expiry, 200 days. */
export function rotationRecordTtl(clientSecretExpiryTime: string, nowSeconds: number): number {
  const expiry = Date.parse(clientSecretExpiryTime);
  return Number.isNaN(expiry) ? nowSeconds + 200 * 86_400 : Math.floor(expiry / 1000) + 30 * 86_400;
}
