import {
  CreateSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MalformedTokenSecretError, type TokenSecretValue } from '../../../lambda/shared/token-secret';
import { TokenStore, type WriteTokenSecretInput } from '../../../lambda/shared/token-store';

const SECRET_NAME = 'lwa-tokens/sellers/NA/A2EUQ1WTGCTBG2';
const REQUEST_TOKEN = '6f1c1f57-3b0e-4f43-9d6a-5a3c1c1d2e01';
const KMS_KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const VALUE: TokenSecretValue = {
  sellerId: 'A2EUQ1WTGCTBG2',
  region: 'NA',
  accessToken: 'Atza|access',
  accessTokenExpiresAt: '2026-11-24T21:19:26.000Z',
  refreshToken: 'Atzr|refresh',
  tokenType: 'bearer',
  updatedAt: '2026-11-24T20:19:26.000Z',
};
const INPUT: WriteTokenSecretInput = {
  secretName: SECRET_NAME,
  value: VALUE,
  clientRequestToken: REQUEST_TOKEN,
  kmsKeyId: KMS_KEY_ID,
  tags: { sellerId: 'A2EUQ1WTGCTBG2', region: 'NA' },
};

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const notFound = () => new ResourceNotFoundException({ message: 'no such secret', ...metadata(400) });
const throttled = () =>
  new SecretsManagerServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    ...metadata(400),
  });
const accessDenied = () =>
  new SecretsManagerServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: 'not allowed',
    ...metadata(400),
  });

describe('TokenStore', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  let delays: number[];
  let store: TokenStore;

  beforeEach(() => {
    secretsManager.reset();
    delays = [];
    store = new TokenStore(new SecretsManagerClient({}), {
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 400,
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.999_999,
    });
  });

  describe('write', () => {
    it('puts a new version with the idempotency token in one call', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).resolves({ VersionId: REQUEST_TOKEN });

      // Act
      const result = await store.write(INPUT);

      // Assess
      expect(result).toEqual({ attempts: 1 });
      expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 1);
      expect(secretsManager).toReceiveCommandWith(PutSecretValueCommand, {
        SecretId: SECRET_NAME,
        ClientRequestToken: REQUEST_TOKEN,
        SecretString: JSON.stringify(VALUE),
      });
      expect(secretsManager).not.toReceiveCommand(CreateSecretCommand);
      expect(delays).toEqual([]);
    });

    it('creates the secret with the KMS key and tags when it does not exist yet', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).rejects(notFound());
      secretsManager.on(CreateSecretCommand).resolves({ VersionId: REQUEST_TOKEN });

      // Act
      const result = await store.write(INPUT);

      // Assess
      expect(result).toEqual({ attempts: 1 });
      expect(secretsManager).toReceiveCommandTimes(CreateSecretCommand, 1);
      expect(secretsManager).toReceiveCommandWith(CreateSecretCommand, {
        Name: SECRET_NAME,
        SecretString: JSON.stringify(VALUE),
        ClientRequestToken: REQUEST_TOKEN,
        KmsKeyId: KMS_KEY_ID,
        Tags: expect.arrayContaining([
          { Key: 'sellerId', Value: 'A2EUQ1WTGCTBG2' },
          { Key: 'region', Value: 'NA' },
        ]),
      });
    });

    it('puts on top when another writer created the secret between the two calls', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({});
      secretsManager
        .on(CreateSecretCommand)
        .rejects(new ResourceExistsException({ message: 'exists', ...metadata(400) }));

      // Act
      await store.write(INPUT);

      // Assess
      expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 2);
      expect(secretsManager).toReceiveCommandTimes(CreateSecretCommand, 1);
      expect(secretsManager).toHaveReceivedNthSpecificCommandWith(2, PutSecretValueCommand, {
        SecretId: SECRET_NAME,
        ClientRequestToken: REQUEST_TOKEN,
      });
    });

    it('retries throttling with the same ClientRequestToken and capped full-jitter delays', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});

      // Act
      const result = await store.write(INPUT);

      // Assess
      expect(result).toEqual({ attempts: 3 });
      const tokens = secretsManager
        .commandCalls(PutSecretValueCommand)
        .map((c) => c.args[0].input.ClientRequestToken);
      expect(tokens).toEqual([REQUEST_TOKEN, REQUEST_TOKEN, REQUEST_TOKEN]);
      expect(delays).toEqual([99, 199]);
    });

    it('retries a 5xx and caps every delay at maxDelayMs', async () => {
      // Prepare
      const serverError = () => new InternalServiceError({ message: 'oops', ...metadata(500) });
      secretsManager
        .on(PutSecretValueCommand)
        .rejectsOnce(serverError())
        .rejectsOnce(serverError())
        .rejectsOnce(serverError())
        .rejectsOnce(serverError())
        .resolves({});

      // Act
      const result = await store.write(INPUT);

      // Assess
      expect(result).toEqual({ attempts: 5 });
      expect(delays).toEqual([99, 199, 399, 399]);
      expect(delays.every((ms) => ms < 400)).toBe(true);
    });

    it('throws the last error once every attempt was throttled', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).rejects(throttled());

      // Act
      const outcome = store.write(INPUT);

      // Assess
      await expect(outcome).rejects.toMatchObject({ name: 'ThrottlingException' });
      expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 5);
      expect(delays).toHaveLength(4);
    });

    describe('until a deadline (a rotated token, invariant 11)', () => {
      const START_MS = Date.parse('2026-11-24T20:00:00.000Z');
      let now: number;
      let paced: number;
      let deadlineStore: TokenStore;
      const until = (deadlineMs: number) => ({
        deadlineMs,
        clock: () => now,
        beforeAttempt: async () => {
          paced++;
        },
      });

      beforeEach(() => {
        now = START_MS;
        paced = 0;
        deadlineStore = new TokenStore(new SecretsManagerClient({}), {
          maxAttempts: 5,
          baseDelayMs: 100,
          maxDelayMs: 2_000,
          sleep: async (ms) => {
            delays.push(ms);
            now += ms;
          },
          random: () => 0.5,
        });
      });

      it('outlasts a long throttling burst: every attempt paced, one ClientRequestToken, capped delays', async () => {
        // Prepare: throttled for far more attempts than the bounded retry makes
        let throttledFor = 40;
        secretsManager.on(PutSecretValueCommand).callsFake(() => {
          if (throttledFor-- > 0) throw throttled();
          return { VersionId: REQUEST_TOKEN };
        });

        // Act
        const result = await deadlineStore.write(INPUT, until(START_MS + 120_000));

        // Assess
        expect(result).toEqual({ attempts: 41 });
        expect(paced).toBe(41);
        const tokens = secretsManager
          .commandCalls(PutSecretValueCommand)
          .map((c) => c.args[0].input.ClientRequestToken);
        expect(new Set(tokens)).toEqual(new Set([REQUEST_TOKEN]));
        expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
        expect(now).toBeLessThanOrEqual(START_MS + 120_000);
      });

      it('throws the last error when the next attempt would start past the deadline', async () => {
        // Prepare
        secretsManager.on(PutSecretValueCommand).rejects(throttled());

        // Act
        const outcome = deadlineStore.write(INPUT, until(START_MS + 20_000));

        // Assess
        await expect(outcome).rejects.toMatchObject({ name: 'ThrottlingException' });
        const attempts = secretsManager.commandCalls(PutSecretValueCommand).length;
        expect(attempts).toBeGreaterThan(5);
        expect(paced).toBe(attempts);
        expect(now).toBeLessThanOrEqual(START_MS + 20_000);
      });

      it('still throws a non-retryable error at once', async () => {
        // Prepare
        secretsManager.on(PutSecretValueCommand).rejects(accessDenied());

        // Act
        const outcome = deadlineStore.write(INPUT, until(START_MS + 120_000));

        // Assess
        await expect(outcome).rejects.toMatchObject({ name: 'AccessDeniedException' });
        expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 1);
      });
    });

    it('retries a throttled create and keeps the same token for it too', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).rejects(notFound());
      secretsManager.on(CreateSecretCommand).rejectsOnce(throttled()).resolves({});

      // Act
      const result = await store.write(INPUT);

      // Assess
      expect(result).toEqual({ attempts: 2 });
      const tokens = secretsManager
        .commandCalls(CreateSecretCommand)
        .map((c) => c.args[0].input.ClientRequestToken);
      expect(tokens).toEqual([REQUEST_TOKEN, REQUEST_TOKEN]);
    });

    it('throws a non-retryable error such as AccessDenied at once', async () => {
      // Prepare
      secretsManager.on(PutSecretValueCommand).rejects(accessDenied());

      // Act
      const outcome = store.write(INPUT);

      // Assess
      await expect(outcome).rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect(secretsManager).toReceiveCommandTimes(PutSecretValueCommand, 1);
      expect(delays).toEqual([]);
    });
  });

  describe('read', () => {
    it('parses the current value', async () => {
      // Prepare
      secretsManager
        .on(GetSecretValueCommand, { SecretId: SECRET_NAME })
        .resolves({ SecretString: JSON.stringify(VALUE) });

      // Act
      const value = await store.read(SECRET_NAME);

      // Assess
      expect(value).toMatchObject(VALUE);
    });

    it('answers undefined when the secret does not exist', async () => {
      // Prepare
      secretsManager.on(GetSecretValueCommand).rejects(notFound());

      // Act
      const value = await store.read(SECRET_NAME);

      // Assess
      expect(value).toBeUndefined();
    });

    it('throws for a malformed value and for any other failure', async () => {
      // Prepare
      secretsManager
        .on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: 'not json' })
        .rejectsOnce(accessDenied());

      // Act
      const malformed = store.read(SECRET_NAME);
      const denied = store.read(SECRET_NAME);

      // Assess
      await expect(malformed).rejects.toBeInstanceOf(MalformedTokenSecretError);
      await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });
  });
});
