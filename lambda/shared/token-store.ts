import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type BackoffOptions, fullJitterDelay, isRetryableAwsError, retryWithBackoff } from './backoff';
import type { Clock } from './clock';
import { parseTokenSecret, serializeTokenSecret, type TokenSecretValue } from './token-secret';

export interface WriteTokenSecretInput {
  readonly secretName: string;
  readonly value: TokenSecretValue;
  /**
   * Idempotency token, generated before LWA is called. Every retry reuses it, so a write whose
   * answer was lost is not stored twice and AWSPREVIOUS keeps holding the previous refresh token.
   */
  readonly clientRequestToken: string;
  /** The customer-managed key new secrets are encrypted with. */
  readonly kmsKeyId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * How long a write that must not be lost keeps retrying: throttling and 5xx are retried until the
 * next attempt would start past `deadlineMs`, not for a fixed count, because the account's write
 * quota is shared and another writer can saturate it for tens of seconds (invariant 11).
 */
export interface WriteUntilDeadline {
  /** Epoch ms: the invocation's own deadline less the time the caller needs after the write. */
  readonly deadlineMs: number;
  readonly clock: Clock;
  /** Awaited before every attempt, the first included: the caller's share of the write quota. */
  readonly beforeAttempt?: () => Promise<void>;
}

/**
 * Reads and writes token secrets. Writes go to an existing secret as a new AWSCURRENT version
 * (PutSecretValue moves the old one to AWSPREVIOUS); the first write for a seller creates it.
 */
export class TokenStore {
  /**
   * @param writer the client for writes; the refresher gives it no SDK retries of its own, so every
   *   attempt is one request that went through its write pacing. Defaults to `secretsManager`.
   */
  constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly retry: BackoffOptions,
    private readonly writer: SecretsManagerClient = secretsManager,
  ) {}

  async read(secretName: string): Promise<TokenSecretValue | undefined> {
    try {
      const output = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: secretName }));
      return parseTokenSecret(secretName, output.SecretString);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /**
   * Puts `authorizationVersion` back on top when `staleVersion` was written right over it, and
   * returns whether it did. Secrets Manager has no conditional write, so a refresh that began
   * before a re-authorization can land its PutSecretValue after the authorization's; this undoes
   * exactly that write and nothing else: it acts only while the stale version is AWSCURRENT and
   * the authorization's is the AWSPREVIOUS it displaced, and only if the stale refresh did not
   * present the authorization's own refresh token (a refresh that read the authorization's secret
   * wrote its successor, which LWA may have rotated: undoing it would lose the rotation). When the
   * authorization's write has not happened yet, it will land on top by itself: nothing to do.
   *
   * The restore is a new version holding the authorization's value rather than
   * UpdateSecretVersionStage, which would be one call fewer on AWS; moto (the tests' AWS) moves the
   * label but keeps serving the old version, so only a new version behaves the same on both.
   */
  async restoreOverwrittenAuthorization(input: {
    readonly secretName: string;
    readonly staleVersion: string;
    readonly authorizationVersion: string;
    /** The refresh token the stale refresh presented to LWA, if any. */
    readonly refreshTokenUsed?: string;
  }): Promise<boolean> {
    const send = <T>(operation: () => Promise<T>) =>
      retryWithBackoff(operation, isRetryableAwsError, this.retry);
    const described = await send(() =>
      this.secretsManager.send(new DescribeSecretCommand({ SecretId: input.secretName })),
    );
    const stages = described.VersionIdsToStages ?? {};
    const holds = (version: string, stage: string) => stages[version]?.includes(stage) === true;
    if (!holds(input.staleVersion, 'AWSCURRENT') || !holds(input.authorizationVersion, 'AWSPREVIOUS'))
      return false;
    const authorization = await send(() =>
      this.secretsManager.send(
        new GetSecretValueCommand({ SecretId: input.secretName, VersionId: input.authorizationVersion }),
      ),
    );
    if (
      input.refreshTokenUsed !== undefined &&
      parseTokenSecret(input.secretName, authorization.SecretString).refreshToken === input.refreshTokenUsed
    )
      return false;
    // One token for every retry, so a retried restore is stored once.
    const clientRequestToken = randomUUID();
    await send(() =>
      this.secretsManager.send(
        new PutSecretValueCommand({
          SecretId: input.secretName,
          SecretString: authorization.SecretString,
          ClientRequestToken: clientRequestToken,
        }),
      ),
    );
    return true;
  }

  /**
   * Returns the number of attempts it took, which callers report as a retry metric. Without
   * `until`, retries are bounded by `maxAttempts`.
   */
  async write(input: WriteTokenSecretInput, until?: WriteUntilDeadline): Promise<{ attempts: number }> {
    if (until) return this.writeUntil(input, until);
    let attempts = 0;
    await retryWithBackoff(
      async () => {
        attempts++;
        await this.putOrCreate(input);
      },
      isRetryableAwsError,
      this.retry,
    );
    return { attempts };
  }

  private async writeUntil(
    input: WriteTokenSecretInput,
    until: WriteUntilDeadline,
  ): Promise<{ attempts: number }> {
    for (let attempt = 0; ; attempt++) {
      await until.beforeAttempt?.();
      try {
        await this.putOrCreate(input);
        return { attempts: attempt + 1 };
      } catch (error) {
        if (!isRetryableAwsError(error)) throw error;
        const delay = fullJitterDelay(attempt, this.retry);
        if (until.clock() + delay >= until.deadlineMs) throw error;
        await this.retry.sleep(delay);
      }
    }
  }

  private async putOrCreate(input: WriteTokenSecretInput): Promise<void> {
    const secretString = serializeTokenSecret(input.value);
    try {
      await this.put(input, secretString);
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await this.writer.send(
        new CreateSecretCommand({
          Name: input.secretName,
          SecretString: secretString,
          ClientRequestToken: input.clientRequestToken,
          KmsKeyId: input.kmsKeyId,
          Description: 'LWA tokens managed by lwa-token-service; read with the token client.',
          Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (error) {
      // Another writer created it between our two calls: write a version on top of theirs.
      if (!(error instanceof ResourceExistsException)) throw error;
      await this.put(input, secretString);
    }
  }

  private async put(input: WriteTokenSecretInput, secretString: string): Promise<void> {
    await this.writer.send(
      new PutSecretValueCommand({
        SecretId: input.secretName,
        SecretString: secretString,
        ClientRequestToken: input.clientRequestToken,
      }),
    );
  }
}
