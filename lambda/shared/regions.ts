import { MARKETPLACES } from './marketplaces';
import type { Region } from './region-codes';

export { isRegion, REGIONS, type Region } from './region-codes';

/** Base URLs of Amazon's LWA hosts, per DESIGN.md. `/auth/o2/token` and `/auth/o2/create/codepair` are appended. */
export const DEFAULT_LWA_ENDPOINTS: Readonly<Record<Region, string>> = {
  NA: 'https://api.amazon.com',
  EU: 'https://api.amazon.co.uk',
  FE: 'https://api.amazon.co.jp',
};

/** Seller Central hosts that serve the consent page the `/authorize` route sends a seller to. */
export const DEFAULT_SELLER_CENTRAL_URLS: Readonly<Record<Region, string>> = {
  NA: 'https://sellercentral.amazon.com',
  EU: 'https://sellercentral-europe.amazon.com',
  FE: 'https://sellercentral.amazon.co.jp',
};

/**
 * Hosts that may start the `/login` flow, mapped to the region their sellers or vendors authorize
 * in: every Seller Central and Vendor Central consent host of the marketplace table, plus the
 * country Seller Central hosts Amazon also serves for the unified European account. `/login`
 * redirects only to these hosts, so it can't be used as an open redirect.
 */
export const DEFAULT_LOGIN_HOSTS: Readonly<Record<string, Region>> = {
  'sellercentral.amazon.co.uk': 'EU',
  'sellercentral.amazon.de': 'EU',
  'sellercentral.amazon.fr': 'EU',
  'sellercentral.amazon.it': 'EU',
  'sellercentral.amazon.es': 'EU',
  ...Object.fromEntries(
    MARKETPLACES.flatMap((market) => [
      [market.sellerCentralHost, market.region],
      ...(market.vendorCentralHost ? [[market.vendorCentralHost, market.region]] : []),
    ]),
  ),
};
