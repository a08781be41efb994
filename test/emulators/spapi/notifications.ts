/**
 * The SP-API notification envelope (DESIGN.md, "Client-secret rotation"), as Amazon sends it to
 * the queue the developer registered. Used by the SP-API emulator, the tests and the local run.
 */
import { randomUUID } from 'node:crypto';

export const EXPIRY_TYPE = 'APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY';
export const NEW_SECRET_TYPE = 'APPLICATION_OAUTH_CLIENT_NEW_SECRET';

interface EnvelopeInput {
  readonly applicationId: string;
  readonly now: number;
  readonly notificationId?: string;
}

function envelope(type: string, payload: Record<string, unknown>, input: EnvelopeInput): string {
  const at = new Date(input.now).toISOString();
  return JSON.stringify({
    notificationVersion: '1.0',
    notificationType: type,
    payloadVersion: '1.0',
    eventTime: at,
    payload,
    notificationMetadata: {
      applicationId: input.applicationId,
      subscriptionId: `subscription-${type.toLowerCase()}`,
      publishTime: at,
      notificationId: input.notificationId ?? randomUUID(),
    },
  });
}

export function clientSecretExpiryNotification(
  input: EnvelopeInput & { clientId: string; clientSecretExpiresAt: number },
): string {
  return envelope(
    EXPIRY_TYPE,
    {
      applicationOAuthClientSecretExpiry: {
        clientId: input.clientId,
        clientSecretExpiryTime: new Date(input.clientSecretExpiresAt).toISOString(),
        clientSecretExpiryReason: 'PERIODIC_ROTATION',
      },
    },
    input,
  );
}

export function clientNewSecretNotification(
  input: EnvelopeInput & {
    clientId: string;
    newClientSecret: string;
    newClientSecretExpiresAt: number;
    oldClientSecretExpiresAt: number;
  },
): string {
  return envelope(
    NEW_SECRET_TYPE,
    {
      applicationOAuthClientNewSecret: {
        clientId: input.clientId,
        newClientSecret: input.newClientSecret,
        newClientSecretExpiryTime: new Date(input.newClientSecretExpiresAt).toISOString(),
        oldClientSecretExpiryTime: new Date(input.oldClientSecretExpiresAt).toISOString(),
      },
    },
    input,
  );
}
