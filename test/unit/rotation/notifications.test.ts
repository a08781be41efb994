import {
  CLIENT_NEW_SECRET,
  CLIENT_SECRET_EXPIRY,
  parseRotationNotification,
} from '../../../lambda/rotation/notifications';

const CLIENT_ID = 'amzn1.application-oa2-client.abc';
const NEW_SECRET = 'amzn1.oa2-cs.v1.brand-new-secret';

const envelope = (
  notificationType: string,
  payload: unknown,
  notificationId: unknown = 'a7e4a9b2-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
) =>
  JSON.stringify({
    notificationVersion: '1.0',
    notificationType,
    payloadVersion: '1.0',
    eventTime: '2026-11-24T20:00:00.000Z',
    payload,
    notificationMetadata: {
      applicationId: 'amzn1.sp.solution.abc',
      subscriptionId: 'subscription-1',
      publishTime: '2026-11-24T20:00:01.000Z',
      notificationId,
    },
  });

describe('parseRotationNotification', () => {
  it('reads an expiry notice and normalises its time', () => {
    const body = envelope(CLIENT_SECRET_EXPIRY, {
      applicationOAuthClientSecretExpiry: {
        clientId: CLIENT_ID,
        clientSecretExpiryTime: '2026-12-01T00:00:00Z',
        clientSecretExpiryReason: 'PERIODIC_ROTATION',
      },
    });

    expect(parseRotationNotification(body)).toEqual({
      kind: 'expiry',
      notificationId: 'a7e4a9b2-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      clientId: CLIENT_ID,
      clientSecretExpiryTime: '2026-12-01T00:00:00.000Z',
      clientSecretExpiryReason: 'PERIODIC_ROTATION',
    });
  });

  it('reads a new-secret notice', () => {
    const body = envelope(CLIENT_NEW_SECRET, {
      applicationOAuthClientNewSecret: {
        clientId: CLIENT_ID,
        newClientSecret: NEW_SECRET,
        newClientSecretExpiryTime: '2027-05-30T00:00:00Z',
        oldClientSecretExpiryTime: '2026-12-08T00:00:00Z',
      },
    });

    expect(parseRotationNotification(body)).toEqual({
      kind: 'new-secret',
      notificationId: 'a7e4a9b2-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      clientId: CLIENT_ID,
      newClientSecret: NEW_SECRET,
      newClientSecretExpiryTime: '2027-05-30T00:00:00.000Z',
      oldClientSecretExpiryTime: '2026-12-08T00:00:00.000Z',
    });
  });

  it.each([
    ['JSON that does not parse', '{"notificationType":', { reason: 'not-json' }],
    ['a JSON array', '[]', { reason: 'malformed' }],
    [
      'another notification type',
      envelope('ANY_OFFER_CHANGED', {}),
      { reason: 'unknown-type', notificationType: 'ANY_OFFER_CHANGED' },
    ],
    [
      'a new-secret notice without its secret',
      envelope(CLIENT_NEW_SECRET, {
        applicationOAuthClientNewSecret: {
          clientId: CLIENT_ID,
          newClientSecretExpiryTime: '2027-05-30T00:00:00Z',
          oldClientSecretExpiryTime: '2026-12-08T00:00:00Z',
        },
      }),
      { reason: 'malformed', notificationType: CLIENT_NEW_SECRET },
    ],
    [
      'an expiry notice with an unparseable time',
      envelope(CLIENT_SECRET_EXPIRY, {
        applicationOAuthClientSecretExpiry: { clientId: CLIENT_ID, clientSecretExpiryTime: 'soon' },
      }),
      { reason: 'malformed', notificationType: CLIENT_SECRET_EXPIRY },
    ],
    [
      'a notice without a notificationId',
      envelope(
        CLIENT_SECRET_EXPIRY,
        {
          applicationOAuthClientSecretExpiry: {
            clientId: CLIENT_ID,
            clientSecretExpiryTime: '2026-12-01T00:00:00Z',
          },
        },
        null,
      ),
      { reason: 'malformed', notificationType: CLIENT_SECRET_EXPIRY },
    ],
  ])('ignores %s', (_name, body, expected) => {
    expect(parseRotationNotification(body)).toEqual({ kind: 'ignored', ...expected });
  });

  it('never carries a notificationType that could be anything but a type name', () => {
    const body = JSON.stringify({ notificationType: `x ${NEW_SECRET}`, payload: {} });

    const parsed = parseRotationNotification(body);

    expect(parsed).toEqual({ kind: 'ignored', reason: 'malformed' });
    expect(JSON.stringify(parsed)).not.toContain(NEW_SECRET);
  });
});
