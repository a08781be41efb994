/**
 * The two SP-API notifications of a client-secret rotation (DESIGN.md, "Client-secret rotation"),
 * parsed strictly. Anything that is not exactly one of them comes back as `ignored`, carrying at
 * most its `notificationType`, because the raw body of a new-secret notice holds a secret.
 */

export const CLIENT_SECRET_EXPIRY = 'APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY';
export const CLIENT_NEW_SECRET = 'APPLICATION_OAUTH_CLIENT_NEW_SECRET';

/** Amazon will rotate (or already did) the client secret that expires at `clientSecretExpiryTime`. */
export interface ClientSecretExpiryNotice {
  readonly kind: 'expiry';
  readonly notificationId: string;
  readonly clientId: string;
  /** ISO 8601, normalised to `Date.toISOString()` so it can key the rotation record. */
  readonly clientSecretExpiryTime: string;
  readonly clientSecretExpiryReason?: string;
}

/** Amazon issued a new client secret; the old one keeps working until `oldClientSecretExpiryTime`. */
export interface ClientNewSecretNotice {
  readonly kind: 'new-secret';
  readonly notificationId: string;
  readonly clientId: string;
  readonly newClientSecret: string;
  readonly newClientSecretExpiryTime: string;
  readonly oldClientSecretExpiryTime: string;
}

export interface IgnoredNotification {
  readonly kind: 'ignored';
  /** Only when the body named a type that is short and printable; safe to log. */
  readonly notificationType?: string;
  readonly reason: 'not-json' | 'unknown-type' | 'malformed';
}

export type RotationNotification = ClientSecretExpiryNotice | ClientNewSecretNotice | IgnoredNotification;

const SAFE_TYPE = /^[A-Z0-9_]{1,64}$/;
/** notificationIds are UUIDs; anything of this shape is safe to log and to hash. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CLIENT_ID = /^[A-Za-z0-9._-]{1,256}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function nonEmptyString(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= max ? value : undefined;
}

export function parseRotationNotification(body: string): RotationNotification {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { kind: 'ignored', reason: 'not-json' };
  }
  if (!isRecord(raw)) return { kind: 'ignored', reason: 'malformed' };
  const type =
    typeof raw.notificationType === 'string' && SAFE_TYPE.test(raw.notificationType)
      ? raw.notificationType
      : undefined;
  const ignored = (reason: IgnoredNotification['reason']): IgnoredNotification => ({
    kind: 'ignored',
    reason,
    ...(type ? { notificationType: type } : {}),
  });
  if (type !== CLIENT_SECRET_EXPIRY && type !== CLIENT_NEW_SECRET)
    return ignored(type ? 'unknown-type' : 'malformed');

  const metadata = raw.notificationMetadata;
  const payload = raw.payload;
  if (!isRecord(metadata) || !isRecord(payload)) return ignored('malformed');
  const notificationId = nonEmptyString(metadata.notificationId, 128);
  if (!notificationId || !SAFE_ID.test(notificationId)) return ignored('malformed');

  if (type === CLIENT_SECRET_EXPIRY) {
    const expiry = payload.applicationOAuthClientSecretExpiry;
    if (!isRecord(expiry)) return ignored('malformed');
    const clientId = nonEmptyString(expiry.clientId, 256);
    const clientSecretExpiryTime = isoTime(expiry.clientSecretExpiryTime);
    if (!clientId || !CLIENT_ID.test(clientId) || !clientSecretExpiryTime) return ignored('malformed');
    const reason = nonEmptyString(expiry.clientSecretExpiryReason, 64);
    return {
      kind: 'expiry',
      notificationId,
      clientId,
      clientSecretExpiryTime,
      ...(reason && SAFE_TYPE.test(reason) ? { clientSecretExpiryReason: reason } : {}),
    };
  }

  const secret = payload.applicationOAuthClientNewSecret;
  if (!isRecord(secret)) return ignored('malformed');
  const clientId = nonEmptyString(secret.clientId, 256);
  const newClientSecret = nonEmptyString(secret.newClientSecret, 1024);
  const newClientSecretExpiryTime = isoTime(secret.newClientSecretExpiryTime);
  const oldClientSecretExpiryTime = isoTime(secret.oldClientSecretExpiryTime);
  if (
    !clientId ||
    !CLIENT_ID.test(clientId) ||
    !newClientSecret ||
    !newClientSecretExpiryTime ||
    !oldClientSecretExpiryTime
  ) {
    return ignored('malformed');
  }
  return {
    kind: 'new-secret',
    notificationId,
    clientId,
    newClientSecret,
    newClientSecretExpiryTime,
    oldClientSecretExpiryTime,
  };
}
