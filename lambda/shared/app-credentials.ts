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
  /** When the current secret expires (ISO 8601); written by the client-secret rotation. */
  readonly clientSecretExpiresAt?: string;
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
    clientSecretExpiresAt:
      typeof value.clientSecretExpiresAt === 'string' ? value.clientSecretExpiresAt : undefined,
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
 * Calls `attempt` with each usable client secret, newest first, while LWA rejects the client.
 * When every secret was rejected, the cached credentials may predate a rotation (a warm container
 * still holding a secret that has since expired), so they are read once more and any secret not
 * yet tried is tried. Only then is the last rejection thrown: that is an app fault.
 */
export async function withClientSecret<T>(
  provider: Pick<AppCredentialsProvider, 'get' | 'invalidate'>,
  clock: Clock,
  attempt: (credentials: AppCredentials, clientSecret: string) => Promise<T>,
  isClientRejected: (error: unknown) => boolean,
): Promise<T> {
  const tried = new Set<string>();
  let credentials = await provider.get();
  let rejection: unknown;
  for (let read = 1; read <= 2; read++) {
    for (const clientSecret of usableClientSecrets(credentials, clock())) {
      if (tried.has(clientSecret)) continue;
      tried.add(clientSecret);
      try {
        return await attempt(credentials, clientSecret);
      } catch (error) {
        if (!isClientRejected(error)) throw error;
        rejection = error;
      }
    }
    provider.invalidate();
    if (read === 1) credentials = await provider.get();
  }
  throw rejection;
}

/** How long an execution environment keeps the app credentials before reading them again. */
export const APP_CREDENTIALS_TTL_MS = 60_000;

/**
 * Reads the app credentials secret and keeps it for a minute per execution environment, so a
 * rotated client secret (or an operator's update) reaches every caller within a minute without a
 * redeploy, while a busy function pays about one GetSecretValue a minute.
 */
export class AppCredentialsProvider {
  private cached?: { value: AppCredentials; fetchedAt: number };
  /** Concurrent callers on a cold cache share one read (the refresher starts several workers at once). */
  private inFlight?: Promise<AppCredentials>;

  constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly secretId: string,
    private readonly clock: Clock,
    private readonly ttlMs: number = APP_CREDENTIALS_TTL_MS,
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
