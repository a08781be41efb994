import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from './clock';
import { errorName } from './logger';

/** The app credentials secret (DESIGN.md, "App credentials secret"). */
export interface AppCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly applicationId: string;
  readonly draft: boolean;
  /** During a client-secret rotation the old secret keeps working until this time. */
  readonly previousClientSecret?: string;
  readonly previousClientSecretExpiresAt?: string;
}

/** The app credentials secret is missing, unreadable, malformed or still holds placeholders. */
export class AppCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppCredentialsError';
  }
}

const PLACEHOLDER = 'REPLACE_ME';

export function parseAppCredentials(secretId: string, secretString: string | undefined): AppCredentials {
  let raw: unknown;
  try {
    raw = JSON.parse(secretString ?? '');
  } catch {
    throw new AppCredentialsError(
      `App credentials secret ${secretId} is not JSON; see the README's deploy steps.`,
    );
  }
  const value = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const missing = ['clientId', 'clientSecret', 'applicationId'].filter(
    (key) => typeof value[key] !== 'string' || value[key] === '',
  );
  if (missing.length > 0) {
    throw new AppCredentialsError(
      `App credentials secret ${secretId} lacks ${missing.join(', ')}; see the README.`,
    );
  }
  if ([value.clientId, value.clientSecret, value.applicationId].includes(PLACEHOLDER)) {
    throw new AppCredentialsError(
      `App credentials secret ${secretId} still holds placeholder values: put your LWA client id, client secret and SP-API application id in it (README, "Deploy").`,
    );
  }
  return {
    clientId: value.clientId as string,
    clientSecret: value.clientSecret as string,
    applicationId: value.applicationId as string,
    draft: value.draft === true,
    previousClientSecret:
      typeof value.previousClientSecret === 'string' ? value.previousClientSecret : undefined,
    previousClientSecretExpiresAt:
      typeof value.previousClientSecretExpiresAt === 'string'
        ? value.previousClientSecretExpiresAt
        : undefined,
  };
}

/**
 * Client secrets usable now, newest first. The previous secret is offered only until its expiry,
 * so a rotation in Seller Central never breaks refreshes while the secret is being updated.
 */
export function usableClientSecrets(credentials: AppCredentials, nowMs: number): string[] {
  const secrets = [credentials.clientSecret];
  const expiresAt = Date.parse(credentials.previousClientSecretExpiresAt ?? '');
  if (credentials.previousClientSecret && !Number.isNaN(expiresAt) && expiresAt > nowMs) {
    secrets.push(credentials.previousClientSecret);
  }
  return secrets;
}

/**
 * Reads the app credentials secret and keeps it for a few minutes per execution environment,
 * so an operator's update is picked up without a redeploy but not every request pays a read.
 */
export class AppCredentialsProvider {
  private cached?: { value: AppCredentials; fetchedAt: number };
  /** Concurrent callers on a cold cache share one read (the refresher starts several workers at once). */
  private inFlight?: Promise<AppCredentials>;

  constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly secretId: string,
    private readonly clock: Clock,
    private readonly ttlMs: number = 5 * 60_000,
  ) {}

  async get(): Promise<AppCredentials> {
    const now = this.clock();
    if (this.cached && now - this.cached.fetchedAt < this.ttlMs) return this.cached.value;
    this.inFlight ??= this.read(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async read(now: number): Promise<AppCredentials> {
    let secretString: string | undefined;
    try {
      const output = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      secretString = output.SecretString;
    } catch (error) {
      throw new AppCredentialsError(
        `Could not read the app credentials secret ${this.secretId} (${errorName(error)}); check APP_SECRET_ID and the function's permissions.`,
      );
    }
    const value = parseAppCredentials(this.secretId, secretString);
    this.cached = { value, fetchedAt: now };
    return value;
  }

  /** Forget the cached value, e.g. after LWA said invalid_client, so the next call re-reads. */
  invalidate(): void {
    this.cached = undefined;
  }
}
