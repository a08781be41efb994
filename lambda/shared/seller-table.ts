/** Vocabulary of the sellers table (DESIGN.md, "Sellers table"). */

export const BY_REGION_INDEX = 'byRegion';

export const SellerStatus = {
  Active: 'ACTIVE',
  /** Transient refresh failures; still retried. */
  Degraded: 'DEGRADED',
  /** LWA answered invalid_grant; not refreshed until the seller authorizes again. */
  ReauthRequired: 'REAUTH_REQUIRED',
  /** LWA returned no refresh token; the access token is served until it expires. */
  AccessOnly: 'ACCESS_ONLY',
  /**
   * An authorization is being stored: its item is written before its secret. The item is due a few
   * minutes later, so if the authorization never finishes, the next refresher run picks it up.
   */
  Pending: 'PENDING',
} as const;
export type SellerStatus = (typeof SellerStatus)[keyof typeof SellerStatus];

/**
 * Tells apart the kinds of token the table indexes; sellers are the default. Grantless items are
 * keyed `sellerId = grantless#<scope>`, device accounts `sellerId = device#<account id>`, so they
 * can never collide with an SP-API selling partner id (which starts with "A").
 */
export const TokenKind = { Seller: 'seller', Grantless: 'grantless', Device: 'device' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/** The item as stored. Numeric timestamps are epoch seconds. */
export interface SellerItem {
  readonly sellerId: string;
  readonly region: string;
  /** Absent on items written before kinds existed; treated as `seller`. */
  readonly kind?: TokenKind;
  /** The LWA scope of a grantless item. */
  readonly scope?: string;
  readonly status: SellerStatus;
  readonly secretName: string;
  readonly accessTokenExpiresAt?: number;
  readonly nextRefreshAt?: number;
  readonly lastRefreshedAt?: number;
  readonly failureCount?: number;
  readonly lastError?: string;
  readonly authorizedAt?: number;
  /** `authorizedAt` + 365 days, for sellers only (Amazon's yearly re-authorization). */
  readonly authorizationExpiresAt?: number;
  /**
   * The smallest `Seller authorization expiring` threshold (days) already notified for the current
   * authorization; a re-authorization removes it. Set before the event is sent, so never a duplicate.
   */
  readonly expiryNoticeDays?: number;
  /** Set when `Token refresh failing` was sent; the first success after it sends `recovered`. */
  readonly refreshFailingSince?: number;
  readonly updatedAt?: number;
  /** Single-flight refresh lease: the holder's id and when the lease lapses (epoch seconds). */
  readonly leaseOwner?: string;
  readonly leaseExpiresAt?: number;
  /**
   * The fence of re-authorization: a new id for every authorization, set before its secret is
   * written (and used as that secret version's id). A refresh leased under another id must not
   * change the item or leave its tokens over the authorization's. Absent on items never authorized
   * since fences existed.
   */
  readonly authorizationId?: string;
}

/** Amazon requires a seller to re-authorize a public app every 365 days; it publishes no API for the date. */
export const AUTHORIZATION_LIFETIME_SECONDS = 365 * 86_400;

/** `Seller authorization expiring` goes out this many days before the expiry, most distant first. */
export const AUTHORIZATION_EXPIRY_NOTICE_DAYS = [30, 7, 1] as const;

export const grantlessItemKey = (scope: string): string => `grantless#${scope}`;
export const deviceItemKey = (accountId: string): string => `device#${accountId}`;

/** Who an item's token belongs to, as lifecycle events and the secret JSON name it. */
export function tokenOwnerIdentity(
  item: Pick<SellerItem, 'sellerId' | 'kind' | 'scope'>,
): { sellerId: string } | { scope: string } | { accountId: string } {
  if (item.kind === TokenKind.Grantless)
    return { scope: item.scope ?? item.sellerId.slice('grantless#'.length) };
  if (item.kind === TokenKind.Device) return { accountId: item.sellerId.slice('device#'.length) };
  return { sellerId: item.sellerId };
}
