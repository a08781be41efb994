import { randomUUID } from 'node:crypto';
import { type BackoffOptions, isRetryableAwsError, retryWithBackoff } from './backoff';
import { toEpochSeconds } from './clock';
import type { LwaTokenResponse } from './lwa-client';
import type { Region } from './regions';
import { computeRefreshSchedule } from './scheduling';
import type { RecordedAuthorization, SellerRepository } from './seller-repository';
import { SellerStatus, type TokenKind } from './seller-table';
import type { TokenSecretValue } from './token-secret';
import type { TokenStore } from './token-store';

export interface StoreAuthorizedTokensDeps {
  readonly tokens: TokenStore;
  readonly sellers: SellerRepository;
  readonly random: () => number;
  readonly retry: BackoffOptions;
  readonly config: {
    readonly kmsKeyId: string;
    readonly leadSeconds: number;
    readonly spreadSeconds: number;
  };
}

export interface AuthorizedTokens {
  /** The table key: a selling partner id, or `device#<account id>`. */
  readonly itemKey: string;
  readonly kind: TokenKind;
  readonly region: Region;
  readonly secretName: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Who the secret belongs to, as the secret JSON names it. */
  readonly identity: Pick<TokenSecretValue, 'sellerId' | 'accountId' | 'scope'>;
  readonly tokens: LwaTokenResponse;
  /** Taken just before LWA was called, so the schedule errs early. */
  readonly issuedAtMs: number;
}

export interface StoredAuthorization extends RecordedAuthorization {
  readonly status: typeof SellerStatus.Active | typeof SellerStatus.AccessOnly;
}

/**
 * Stores tokens from a fresh authorization (a seller's code exchange or a device approval): the
 * secret first, then the table item, so the index never points at tokens that were not stored.
 * Without a refresh token the item is ACCESS_ONLY with nothing scheduled.
 */
export async function storeAuthorizedTokens(
  deps: StoreAuthorizedTokensDeps,
  input: AuthorizedTokens,
): Promise<StoredAuthorization> {
  const schedule = computeRefreshSchedule({
    issuedAtMs: input.issuedAtMs,
    expiresInSeconds: input.tokens.expiresIn,
    leadSeconds: deps.config.leadSeconds,
    spreadSeconds: deps.config.spreadSeconds,
    random: deps.random,
  });
  await deps.tokens.write({
    secretName: input.secretName,
    clientRequestToken: randomUUID(),
    kmsKeyId: deps.config.kmsKeyId,
    tags: input.tags,
    value: {
      ...input.identity,
      region: input.region,
      accessToken: input.tokens.accessToken,
      accessTokenExpiresAt: new Date(schedule.accessTokenExpiresAt * 1000).toISOString(),
      refreshToken: input.tokens.refreshToken,
      tokenType: input.tokens.tokenType,
      updatedAt: new Date(input.issuedAtMs).toISOString(),
    },
  });
  const status = input.tokens.refreshToken ? SellerStatus.Active : SellerStatus.AccessOnly;
  const recorded = await retryWithBackoff(
    () =>
      deps.sellers.recordAuthorization({
        sellerId: input.itemKey,
        region: input.region,
        kind: input.kind,
        secretName: input.secretName,
        status,
        accessTokenExpiresAt: schedule.accessTokenExpiresAt,
        nextRefreshAt: status === SellerStatus.Active ? schedule.nextRefreshAt : undefined,
        nowSeconds: toEpochSeconds(input.issuedAtMs),
      }),
    isRetryableAwsError,
    deps.retry,
  );
  return { status, ...recorded };
}
