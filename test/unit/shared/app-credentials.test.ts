import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  type AppCredentials,
  AppCredentialsError,
  AppCredentialsProvider,
  parseAppCredentials,
  usableClientSecrets,
} from '../../../lambda/shared/app-credentials';

const SECRET_ID = 'lwa-app-credentials';
const CLIENT_SECRET = 'amzn1.oa2-cs.v1.current-secret';
const PREVIOUS_SECRET = 'amzn1.oa2-cs.v1.previous-secret';
const VALID = {
  clientId: 'amzn1.application-oa2-client.abc',
  clientSecret: CLIENT_SECRET,
  applicationId: 'amzn1.sp.solution.abc',
  draft: false,
};

const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected an error');
};

describe('parseAppCredentials', () => {
  it('reads the contract JSON', () => {
    // Act
    const credentials = parseAppCredentials(SECRET_ID, JSON.stringify({ ...VALID, draft: true }));

    // Assess
    expect(credentials).toEqual({
      ...VALID,
      draft: true,
      previousClientSecret: undefined,
      previousClientSecretExpiresAt: undefined,
    });
  });

  it('treats anything but draft: true as a published app', () => {
    // Act
    const credentials = parseAppCredentials(SECRET_ID, JSON.stringify({ ...VALID, draft: 'yes' }));

    // Assess
    expect(credentials.draft).toBe(false);
  });

  it('keeps the previous client secret and its expiry during a rotation', () => {
    // Act
    const credentials = parseAppCredentials(
      SECRET_ID,
      JSON.stringify({
        ...VALID,
        previousClientSecret: PREVIOUS_SECRET,
        previousClientSecretExpiresAt: '2026-12-01T00:00:00Z',
      }),
    );

    // Assess
    expect(credentials.previousClientSecret).toBe(PREVIOUS_SECRET);
    expect(credentials.previousClientSecretExpiresAt).toBe('2026-12-01T00:00:00Z');
  });

  it.each([
    ['undefined', undefined],
    ['not JSON', `clientSecret=${CLIENT_SECRET}`],
  ])('refuses a secret that is %s, naming the secret but not its value', (_label, value) => {
    // Act
    const error = thrown(() => parseAppCredentials(SECRET_ID, value));

    // Assess
    expect(error).toBeInstanceOf(AppCredentialsError);
    expect(error.name).toBe('AppCredentialsError');
    expect(error.message).toContain(SECRET_ID);
    expect(error.message).toContain('not JSON');
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it('lists every missing or empty field', () => {
    // Act
    const error = thrown(() =>
      parseAppCredentials(SECRET_ID, JSON.stringify({ clientId: '', clientSecret: CLIENT_SECRET })),
    );

    // Assess
    expect(error.message).toContain('lacks clientId, applicationId');
    expect(error.message).not.toContain(CLIENT_SECRET);
  });

  it('refuses a JSON value that is not an object', () => {
    // Act
    const error = thrown(() => parseAppCredentials(SECRET_ID, '"just a string"'));

    // Assess
    expect(error.message).toContain('lacks clientId, clientSecret, applicationId');
  });

  it.each(['clientId', 'clientSecret', 'applicationId'])(
    'refuses the placeholder the stack creates in %s with a clear instruction',
    (field) => {
      // Act
      const error = thrown(() =>
        parseAppCredentials(SECRET_ID, JSON.stringify({ ...VALID, [field]: 'REPLACE_ME' })),
      );

      // Assess
      expect(error).toBeInstanceOf(AppCredentialsError);
      expect(error.message).toContain('placeholder');
      expect(error.message).toContain(SECRET_ID);
      expect(error.message).not.toContain(CLIENT_SECRET);
    },
  );
});

describe('usableClientSecrets', () => {
  const NOW = Date.parse('2026-11-24T20:00:00.000Z');
  const withPrevious = (expiresAt?: string): AppCredentials => ({
    ...VALID,
    previousClientSecret: PREVIOUS_SECRET,
    previousClientSecretExpiresAt: expiresAt,
  });

  it('offers only the current secret when there is no rotation', () => {
    // Assess
    expect(usableClientSecrets(VALID, NOW)).toEqual([CLIENT_SECRET]);
  });

  it('offers the previous secret after the current one until it expires', () => {
    // Assess
    expect(usableClientSecrets(withPrevious('2026-11-24T20:00:01.000Z'), NOW)).toEqual([
      CLIENT_SECRET,
      PREVIOUS_SECRET,
    ]);
  });

  it('drops the previous secret at and after its expiry', () => {
    // Assess
    expect(usableClientSecrets(withPrevious('2026-11-24T20:00:00.000Z'), NOW)).toEqual([CLIENT_SECRET]);
    expect(usableClientSecrets(withPrevious('2026-11-23T00:00:00.000Z'), NOW)).toEqual([CLIENT_SECRET]);
  });

  it('drops a previous secret without a readable expiry', () => {
    // Assess
    expect(usableClientSecrets(withPrevious(undefined), NOW)).toEqual([CLIENT_SECRET]);
    expect(usableClientSecrets(withPrevious('next week'), NOW)).toEqual([CLIENT_SECRET]);
  });
});

describe('AppCredentialsProvider', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    secretsManager.reset();
    now = Date.parse('2026-11-24T20:00:00.000Z');
  });

  const provider = () => new AppCredentialsProvider(new SecretsManagerClient({}), SECRET_ID, clock, 60_000);

  it('reads the secret once and serves it from memory within the TTL', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(VALID) });
    const credentials = provider();

    // Act
    const first = await credentials.get();
    now += 59_999;
    const second = await credentials.get();

    // Assess
    expect(second).toEqual(first);
    expect(first.clientSecret).toBe(CLIENT_SECRET);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toReceiveCommandWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('reads again once the TTL has passed, picking up an operator update', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(VALID) })
      .resolvesOnce({ SecretString: JSON.stringify({ ...VALID, clientSecret: 'rotated-secret' }) });
    const credentials = provider();
    await credentials.get();

    // Act
    now += 60_000;
    const refreshed = await credentials.get();

    // Assess
    expect(refreshed.clientSecret).toBe('rotated-secret');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('reads again after invalidate()', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(VALID) });
    const credentials = provider();
    await credentials.get();

    // Act
    credentials.invalidate();
    await credentials.get();

    // Assess
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('turns a read failure into an AppCredentialsError naming the secret and the error, and caches nothing', async () => {
    // Prepare
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(denied)
      .resolves({ SecretString: JSON.stringify(VALID) });
    const credentials = provider();

    // Act
    const failure = credentials.get();

    // Assess
    await expect(failure).rejects.toThrow(AppCredentialsError);
    await expect(failure).rejects.toThrow(`${SECRET_ID} (AccessDeniedException)`);
    await expect(credentials.get()).resolves.toMatchObject({ clientId: VALID.clientId });
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('does not cache a secret that still holds placeholders', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ ...VALID, clientSecret: 'REPLACE_ME' }) })
      .resolves({ SecretString: JSON.stringify(VALID) });
    const credentials = provider();

    // Act
    const failure = credentials.get();

    // Assess
    await expect(failure).rejects.toThrow('placeholder');
    await expect(credentials.get()).resolves.toMatchObject({ clientSecret: CLIENT_SECRET });
  });
});

describe('AppCredentialsProvider single flight', () => {
  it('makes one GetSecretValue for concurrent callers on a cold cache', async () => {
    // Prepare
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        clientId: 'amzn1.application-oa2-client.x',
        clientSecret: 's',
        applicationId: 'amzn1.sp.solution.x',
      }),
    });
    const provider = new AppCredentialsProvider(new SecretsManagerClient({}), 'app', () => 0);

    // Act
    const all = await Promise.all(Array.from({ length: 8 }, () => provider.get()));

    // Assess
    expect(new Set(all.map((c) => c.clientId))).toEqual(new Set(['amzn1.application-oa2-client.x']));
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    sm.restore();
  });
});

describe('parseAppCredentials: rotation fields', () => {
  it('reads clientSecretExpiresAt, which the client-secret rotation writes', () => {
    const credentials = parseAppCredentials(
      SECRET_ID,
      JSON.stringify({ ...VALID, clientSecretExpiresAt: '2027-05-23T00:00:00.000Z' }),
    );
    expect(credentials.clientSecretExpiresAt).toBe('2027-05-23T00:00:00.000Z');
  });
});
