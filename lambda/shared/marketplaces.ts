import type { Region } from './regions';

/** Who authorizes: a seller in Seller Central, or a vendor in Vendor Central. */
export type AccountType = 'seller' | 'vendor';

export interface Marketplace {
  /** SP-API marketplace id, e.g. `ATVPDKIKX0DER`. */
  readonly id: string;
  /** The country code Amazon's "Marketplace IDs" page lists (`UK`, not `GB`, for the United Kingdom). */
  readonly countryCode: string;
  readonly country: string;
  /** The SP-API / LWA region the marketplace's sellers authorize in, and so the state is bound to. */
  readonly region: Region;
  /** Host of the Seller Central consent page for the marketplace. */
  readonly sellerCentralHost: string;
  /** Host of the Vendor Central consent page; absent where Amazon lists none. */
  readonly vendorCentralHost?: string;
}

/**
 * Every SP-API marketplace with its consent hosts. Ids and regions come from Amazon's
 * "Marketplace IDs" page; hosts from its "Seller Central URLs" and "Vendor Central URLs" pages
 * for website authorization (developer-docs.amazon.com/sp-api). UK, DE, FR, IT and ES share
 * `sellercentral-europe.amazon.com`; the Middle East shares `vendorcentral.amazon.me`.
 */
export const MARKETPLACES: readonly Marketplace[] = [
  m('A2EUQ1WTGCTBG2', 'CA', 'Canada', 'NA', 'sellercentral.amazon.ca', 'vendorcentral.amazon.ca'),
  m('ATVPDKIKX0DER', 'US', 'United States', 'NA', 'sellercentral.amazon.com', 'vendorcentral.amazon.com'),
  m('A1AM78C64UM0Y8', 'MX', 'Mexico', 'NA', 'sellercentral.amazon.com.mx', 'vendorcentral.amazon.com.mx'),
  m('A2Q3Y263D00KWC', 'BR', 'Brazil', 'NA', 'sellercentral.amazon.com.br', 'vendorcentral.amazon.com.br'),
  m('A28R8C7NBKEWEA', 'IE', 'Ireland', 'EU', 'sellercentral.amazon.ie'),
  m('A1RKKUPIHCS9HS', 'ES', 'Spain', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.es'),
  m(
    'A1F83G8C2ARO7P',
    'UK',
    'United Kingdom',
    'EU',
    'sellercentral-europe.amazon.com',
    'vendorcentral.amazon.co.uk',
  ),
  m('A13V1IB3VIYZZH', 'FR', 'France', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.fr'),
  m('AMEN7PMS3EDWL', 'BE', 'Belgium', 'EU', 'sellercentral.amazon.com.be', 'vendorcentral.amazon.com.be'),
  m('A1805IZSGTT6HS', 'NL', 'Netherlands', 'EU', 'sellercentral.amazon.nl', 'vendorcentral.amazon.nl'),
  m('A1PA6795UKMFR9', 'DE', 'Germany', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.de'),
  m('APJ6JRA9NG5V4', 'IT', 'Italy', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.it'),
  m('A2NODRKZP88ZB9', 'SE', 'Sweden', 'EU', 'sellercentral.amazon.se', 'vendorcentral.amazon.se'),
  m('AE08WJ6YKNBMC', 'ZA', 'South Africa', 'EU', 'sellercentral.amazon.co.za', 'vendorcentral.amazon.co.za'),
  m('A1C3SOZRARQ6R3', 'PL', 'Poland', 'EU', 'sellercentral.amazon.pl', 'vendorcentral.amazon.pl'),
  m('ARBP9OOSHTCHU', 'EG', 'Egypt', 'EU', 'sellercentral.amazon.eg', 'vendorcentral.amazon.me'),
  m('A33AVAJ2PDY3EV', 'TR', 'Turkey', 'EU', 'sellercentral.amazon.com.tr', 'vendorcentral.amazon.com.tr'),
  m('A17E79C6D8DWNP', 'SA', 'Saudi Arabia', 'EU', 'sellercentral.amazon.sa', 'vendorcentral.amazon.me'),
  m(
    'A2VIGQ35RCS4UG',
    'AE',
    'United Arab Emirates',
    'EU',
    'sellercentral.amazon.ae',
    'vendorcentral.amazon.me',
  ),
  m('A21TJRUUN4KGV', 'IN', 'India', 'EU', 'sellercentral.amazon.in', 'www.vendorcentral.in'),
  m('A19VAU5U5O7RUS', 'SG', 'Singapore', 'FE', 'sellercentral.amazon.sg', 'vendorcentral.amazon.com.sg'),
  m('A39IBJ37TRP1C6', 'AU', 'Australia', 'FE', 'sellercentral.amazon.com.au', 'vendorcentral.amazon.com.au'),
  m('A1VC38T7YXB528', 'JP', 'Japan', 'FE', 'sellercentral.amazon.co.jp', 'vendorcentral.amazon.co.jp'),
];

function m(
  id: string,
  countryCode: string,
  country: string,
  region: Region,
  sellerCentralHost: string,
  vendorCentralHost?: string,
): Marketplace {
  return { id, countryCode, country, region, sellerCentralHost, vendorCentralHost };
}

/** ISO 3166 spells the United Kingdom `GB`; Amazon's tables say `UK`. Both are accepted. */
const COUNTRY_CODE_ALIASES: Readonly<Record<string, string>> = { GB: 'UK' };

/** The marketplace named by its id (`A1PA6795UKMFR9`) or country code (`DE`, case-insensitive). */
export function findMarketplace(idOrCountryCode: string): Marketplace | undefined {
  const upper = idOrCountryCode.toUpperCase();
  const code = COUNTRY_CODE_ALIASES[upper] ?? upper;
  return MARKETPLACES.find((market) => market.id === idOrCountryCode || market.countryCode === code);
}

/** The consent host for the account type, or undefined where Amazon lists none (Ireland's Vendor Central). */
export function consentHost(market: Marketplace, account: AccountType): string | undefined {
  return account === 'vendor' ? market.vendorCentralHost : market.sellerCentralHost;
}

/** The marketplaces that have a consent host for the account type, in table order. */
export function marketplacesFor(account: AccountType): Marketplace[] {
  return MARKETPLACES.filter((market) => consentHost(market, account) !== undefined);
}
