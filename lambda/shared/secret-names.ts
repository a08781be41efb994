import type { Region } from './region-codes';

export const DEFAULT_TOKEN_SECRET_PREFIX = 'lwa-tokens';

/**
 * SP-API selling partner ids (merchant tokens) are upper-case alphanumerics starting with "A",
 * e.g. A2EUQ1WTGCTBG2. Anything else is refused before it reaches a secret name or a table key.
 */
export const SELLER_ID_PATTERN = /^A[0-9A-Z]{7,31}$/;

/** A device account name: it becomes part of a secret name and a table key. */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** LWA scopes, e.g. `sellingpartnerapi::notifications` or `profile`. */
const SCOPE_PATTERN = /^[A-Za-z0-9_:.-]{1,128}$/;

export function isSellerId(value: unknown): value is string {
  return typeof value === 'string' && SELLER_ID_PATTERN.test(value);
}

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID_PATTERN.test(value);
}

export function isScope(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_PATTERN.test(value);
}

/** `<prefix>/sellers/<REGION>/<sellerId>`, the contract name other Lambdas read. */
export function sellerSecretName(prefix: string, region: Region, sellerId: string): string {
  return `${prefix}/sellers/${region}/${sellerId}`;
}

/** Every run of characters outside Secrets Manager's allowed set becomes one `-`. */
export function scopeSlug(scope: string): string {
  return scope.replace(/[^A-Za-z0-9_+=.@-]+/g, '-');
}

/** `<prefix>/grantless/<REGION>/<scope slug>`. */
export function grantlessSecretName(prefix: string, region: Region, scope: string): string {
  return `${prefix}/grantless/${region}/${scopeSlug(scope)}`;
}

/** `<prefix>/devices/<REGION>/<account id>`: device-flow accounts, under the same prefix and grants. */
export function deviceSecretName(prefix: string, region: Region, accountId: string): string {
  return `${prefix}/devices/${region}/${accountId}`;
}
