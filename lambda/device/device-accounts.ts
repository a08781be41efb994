import { type StoreAuthorizedTokensDeps, storeAuthorizedTokens } from '../shared/authorized-tokens';
import type { LwaTokenResponse } from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import { deviceSecretName } from '../shared/secret-names';
import { deviceItemKey, type SellerStatus, TokenKind } from '../shared/seller-table';

/** A device account name: it becomes part of a secret name and a table key. */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export interface StoreDeviceAccountDeps extends StoreAuthorizedTokensDeps {
  readonly config: StoreAuthorizedTokensDeps['config'] & { readonly tokenSecretPrefix: string };
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
  const { status } = await storeAuthorizedTokens(deps, {
    itemKey: deviceItemKey(input.accountId),
    kind: TokenKind.Device,
    region: input.region,
    secretName,
    tags: { accountId: input.accountId, region: input.region },
    identity: { accountId: input.accountId, scope: input.scope },
    tokens: input.tokens,
    issuedAtMs: input.issuedAtMs,
  });
  return { secretName, status };
}
