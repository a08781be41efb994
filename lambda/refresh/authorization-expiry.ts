import {
  AUTHORIZATION_EXPIRY_NOTICE_DAYS,
  AUTHORIZATION_LIFETIME_SECONDS,
  type SellerItem,
  TokenKind,
} from '../shared/seller-table';

/** What a refreshed seller's item needs for its yearly authorization, if anything. */
export interface AuthorizationNoticePlan {
  readonly authorizationExpiresAt: number;
  /** Set when the item predates `authorizationExpiresAt`: derive it from this `authorizedAt`. */
  readonly backfillFromAuthorizedAt?: number;
  /** The `Seller authorization expiring` threshold to notify now. */
  readonly noticeDays?: number;
}

/**
 * Decides, from the leased item alone, whether a seller's authorization needs a backfill or an
 * expiry notice. Only the most urgent threshold already reached is notified: after missed runs
 * (or a backfill of an old authorization) a seller 5 days from expiry gets the 7-day notice once,
 * not a 30-day one as well. Grantless and device tokens have no yearly expiry.
 */
export function planAuthorizationNotice(
  item: Pick<SellerItem, 'kind' | 'authorizedAt' | 'authorizationExpiresAt' | 'expiryNoticeDays'>,
  nowSeconds: number,
): AuthorizationNoticePlan | undefined {
  if ((item.kind ?? TokenKind.Seller) !== TokenKind.Seller) return undefined;
  const backfill = item.authorizationExpiresAt === undefined;
  if (backfill && item.authorizedAt === undefined) return undefined;
  const authorizationExpiresAt =
    item.authorizationExpiresAt ?? (item.authorizedAt as number) + AUTHORIZATION_LIFETIME_SECONDS;
  const remaining = authorizationExpiresAt - nowSeconds;
  const reached = AUTHORIZATION_EXPIRY_NOTICE_DAYS.filter((days) => remaining <= days * 86_400);
  const urgent = reached.length > 0 && remaining > 0 ? Math.min(...reached) : undefined;
  const noticeDays =
    urgent !== undefined && (item.expiryNoticeDays === undefined || item.expiryNoticeDays > urgent)
      ? urgent
      : undefined;
  if (!backfill && noticeDays === undefined) return undefined;
  return {
    authorizationExpiresAt,
    ...(backfill ? { backfillFromAuthorizedAt: item.authorizedAt } : {}),
    ...(noticeDays !== undefined ? { noticeDays } : {}),
  };
}

/** The link a seller follows to renew: the stack's `/authorize` for the seller's region. */
export function authorizeLink(authorizeUrl: string | undefined, region: string): string | undefined {
  if (!authorizeUrl) return undefined;
  const url = new URL(authorizeUrl);
  url.searchParams.set('region', region);
  return url.toString();
}
