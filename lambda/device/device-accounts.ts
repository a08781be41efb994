import { randomUUID } from 'node:crypto';
import type { BackoffOptions } from '../shared/backoff';
import { isRetryableAwsError, retryWithBackoff } from '../shared/backoff';
import { toEpochSeconds } from '../shared/clock';
import type { LwaTokenResponse } from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import { computeRefreshSchedule } from '../shared/scheduling';
import { deviceSecretName } from '../shared/secret-names';
import type { SellerRepository } from '../shared/seller-repository';
import { deviceItemKey, SellerStatus, TokenKind } from '../shared/seller-table';
import type { TokenStore } from '../shared/token-store';

/** A device account name: it becomes part of a secret name and a table key. */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export interface StoreDeviceAccountDeps {
  readonly tokens: TokenStore;
  readonly sellers: SellerRepository;
  readonly random: () => number;
  readonly retry: BackoffOptions;
  readonly config: {
    readonly tokenSecretPrefix: string;
    readonly kmsKeyId: string;
    readonly leadSeconds: number;
    readonly spreadSeconds: number;
  };
}

/**
 * Stores a device account's tokens exactly like a seller's: the secret first, then the table item
 * (`sellerId = device#<account>`, `kind = device`), so the refresher keeps them fresh.
 */
export async function storeDeviceAccount(
  deps: StoreDeviceAccountDeps,
  input: { accountId: string; region: Region; scope: string; tokens: LwaTokenResponse; issuedAtMs: number },
): Promise<{ secretName: string; status: SellerStatus }> {
  const secretName = deviceSecretName(deps.config.tokenSecretPrefix, input.region, input.accountId);
  const schedule = computeRefreshSchedule({
    issuedAtMs: input.issuedAtMs,
    expiresInSeconds: input.tokens.expiresIn,
    leadSeconds: deps.config.leadSeconds,
    spreadSeconds: deps.config.spreadSeconds,
    random: deps.random,
  });
  await deps.tokens.write({
    secretName,
    clientRequestToken: randomUUID(),
    kmsKeyId: deps.config.kmsKeyId,
    tags: { accountId: input.accountId, region: input.region },
    value: {
      accountId: input.accountId,
      scope: input.scope,
      region: input.region,
      accessToken: input.tokens.accessToken,
      accessTokenExpiresAt: new Date(schedule.accessTokenExpiresAt * 1000).toISOString(),
      refreshToken: input.tokens.refreshToken,
      tokenType: input.tokens.tokenType,
      updatedAt: new Date(input.issuedAtMs).toISOString(),
    },
  });
  const status = input.tokens.refreshToken ? SellerStatus.Active : SellerStatus.AccessOnly;
  await retryWithBackoff(
    () =>
      deps.sellers.recordAuthorization({
        sellerId: deviceItemKey(input.accountId),
        region: input.region,
        kind: TokenKind.Device,
        secretName,
        status,
        accessTokenExpiresAt: schedule.accessTokenExpiresAt,
        nextRefreshAt: status === SellerStatus.Active ? schedule.nextRefreshAt : undefined,
        nowSeconds: toEpochSeconds(input.issuedAtMs),
      }),
    isRetryableAwsError,
    deps.retry,
  );
  return { secretName, status };
}
