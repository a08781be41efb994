import { randomUUID } from 'node:crypto';
import { type BackoffOptions, isRetryableAwsError, retryWithBackoff } from './backoff';
import { toEpochSeconds } from './clock';
import type { LwaTokenResponse } from './lwa-client';
import type { Region } from './regions';
import { computeRefreshSchedule } from './scheduling';
import type { SellerRepository } from './seller-repository';
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

/** How long an authorization may take to finish before the refresher treats it as abandoned. */
export const AUTHORIZATION_PICK_UP_SECONDS = 300;

export interface StoredAuthorization {
  readonly status: typeof SellerStatus.Active | typeof SellerStatus.AccessOnly;
  /**
   * LWA returned no refresh token, and the secret already stored, with its working refresh token,
   * was kept rather than replaced by one without (a misconfigured exchange must not break a
   * working seller); the item is due now, so the refresher writes a fresh access token.
   */
  readonly keptStoredRefreshToken: boolean;
  /** `authorizedAt` of the item before this authorization: absent on a first authorization. */
  readonly previousAuthorizedAt?: number;
  /** Sellers only: when this authorization lapses (`authorizedAt` + 365 days). */
  readonly authorizationExpiresAt?: number;
}

/**
 * Stores tokens from a fresh authorization (a seller's code exchange or a device approval) in
 * three writes, so that a re-authorization always wins over a refresh of the old token that is
 * still in flight (invariant 9), and an authorization cut short is never lost:
 * 1. the item takes a new fence (`authorizationId`) and PENDING, and loses any refresh lease;
 * 2. the secret, as the version whose id is that fence;
 * 3. the item, ACTIVE (or ACCESS_ONLY) and scheduled, only while the fence is still ours.
 * Without a refresh token the item is ACCESS_ONLY with nothing scheduled, unless the item says a
 * working refresh token is stored: then the secret is not written at all (these functions cannot
 * read token secrets to merge), and the seller stays ACTIVE, due for a refresh now.
 */
export async function storeAuthorizedTokens(
  deps: StoreAuthorizedTokensDeps,
  input: AuthorizedTokens,
): Promise<StoredAuthorization> {
  const authorizationId = randomUUID();
  const nowSeconds = toEpochSeconds(input.issuedAtMs);
  const schedule = computeRefreshSchedule({
    issuedAtMs: input.issuedAtMs,
    expiresInSeconds: input.tokens.expiresIn,
    leadSeconds: deps.config.leadSeconds,
    spreadSeconds: deps.config.spreadSeconds,
    random: deps.random,
  });
  const item = {
    sellerId: input.itemKey,
    region: input.region,
    kind: input.kind,
    secretName: input.secretName,
    authorizationId,
  };
  const { storedBefore, ...started } = await retryWithBackoff(
    () =>
      deps.sellers.beginAuthorization({
        ...item,
        pickUpAt: nowSeconds + AUTHORIZATION_PICK_UP_SECONDS,
        nowSeconds,
      }),
    isRetryableAwsError,
    deps.retry,
  );
  // The rare answer without a refresh token, when a working one is stored: the functions that
  // store authorizations may not read token secrets, so the stored secret is left as it is (this
  // answer's access token is dropped) and the item is due now, for the refresher to mint a fresh
  // access token from the kept refresh token on its next run.
  const keepStored =
    !input.tokens.refreshToken &&
    storedBefore.workingRefreshToken &&
    storedBefore.accessTokenExpiresAt !== undefined;
  if (!keepStored) {
    await deps.tokens.write({
      secretName: input.secretName,
      clientRequestToken: authorizationId,
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
  }
  const refreshToken = Boolean(input.tokens.refreshToken) || keepStored;
  const status = refreshToken ? SellerStatus.Active : SellerStatus.AccessOnly;
  // False when a later authorization began meanwhile: the item is its to write, and the secret
  // holds one of the two authorizations' fresh tokens either way.
  const recorded = await retryWithBackoff(
    () =>
      deps.sellers.recordAuthorization({
        ...item,
        status,
        accessTokenExpiresAt: keepStored
          ? (storedBefore.accessTokenExpiresAt as number)
          : schedule.accessTokenExpiresAt,
        nextRefreshAt: keepStored
          ? nowSeconds
          : status === SellerStatus.Active
            ? schedule.nextRefreshAt
            : undefined,
        nowSeconds,
      }),
    isRetryableAwsError,
    deps.retry,
  );
  return {
    status,
    keptStoredRefreshToken: keepStored,
    ...started,
    ...(recorded.authorizationExpiresAt !== undefined
      ? { authorizationExpiresAt: recorded.authorizationExpiresAt }
      : {}),
  };
}
