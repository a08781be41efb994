import {
  consentHost,
  findMarketplace,
  MARKETPLACES,
  marketplacesFor,
} from '../../../lambda/shared/marketplaces';
import { DEFAULT_LOGIN_HOSTS } from '../../../lambda/shared/regions';

// Amazon's published lists, typed in again from the SP-API docs ("Marketplace IDs",
// "Seller Central URLs", "Vendor Central URLs"), so a slip in the code's table shows up here.
const PUBLISHED: Array<[string, string, 'NA' | 'EU' | 'FE', string, string | undefined]> = [
  ['CA', 'A2EUQ1WTGCTBG2', 'NA', 'sellercentral.amazon.ca', 'vendorcentral.amazon.ca'],
  ['US', 'ATVPDKIKX0DER', 'NA', 'sellercentral.amazon.com', 'vendorcentral.amazon.com'],
  ['MX', 'A1AM78C64UM0Y8', 'NA', 'sellercentral.amazon.com.mx', 'vendorcentral.amazon.com.mx'],
  ['BR', 'A2Q3Y263D00KWC', 'NA', 'sellercentral.amazon.com.br', 'vendorcentral.amazon.com.br'],
  ['IE', 'A28R8C7NBKEWEA', 'EU', 'sellercentral.amazon.ie', undefined],
  ['ES', 'A1RKKUPIHCS9HS', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.es'],
  ['UK', 'A1F83G8C2ARO7P', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.co.uk'],
  ['FR', 'A13V1IB3VIYZZH', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.fr'],
  ['BE', 'AMEN7PMS3EDWL', 'EU', 'sellercentral.amazon.com.be', 'vendorcentral.amazon.com.be'],
  ['NL', 'A1805IZSGTT6HS', 'EU', 'sellercentral.amazon.nl', 'vendorcentral.amazon.nl'],
  ['DE', 'A1PA6795UKMFR9', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.de'],
  ['IT', 'APJ6JRA9NG5V4', 'EU', 'sellercentral-europe.amazon.com', 'vendorcentral.amazon.it'],
  ['SE', 'A2NODRKZP88ZB9', 'EU', 'sellercentral.amazon.se', 'vendorcentral.amazon.se'],
  ['ZA', 'AE08WJ6YKNBMC', 'EU', 'sellercentral.amazon.co.za', 'vendorcentral.amazon.co.za'],
  ['PL', 'A1C3SOZRARQ6R3', 'EU', 'sellercentral.amazon.pl', 'vendorcentral.amazon.pl'],
  ['EG', 'ARBP9OOSHTCHU', 'EU', 'sellercentral.amazon.eg', 'vendorcentral.amazon.me'],
  ['TR', 'A33AVAJ2PDY3EV', 'EU', 'sellercentral.amazon.com.tr', 'vendorcentral.amazon.com.tr'],
  ['SA', 'A17E79C6D8DWNP', 'EU', 'sellercentral.amazon.sa', 'vendorcentral.amazon.me'],
  ['AE', 'A2VIGQ35RCS4UG', 'EU', 'sellercentral.amazon.ae', 'vendorcentral.amazon.me'],
  ['IN', 'A21TJRUUN4KGV', 'EU', 'sellercentral.amazon.in', 'www.vendorcentral.in'],
  ['SG', 'A19VAU5U5O7RUS', 'FE', 'sellercentral.amazon.sg', 'vendorcentral.amazon.com.sg'],
  ['AU', 'A39IBJ37TRP1C6', 'FE', 'sellercentral.amazon.com.au', 'vendorcentral.amazon.com.au'],
  ['JP', 'A1VC38T7YXB528', 'FE', 'sellercentral.amazon.co.jp', 'vendorcentral.amazon.co.jp'],
];

describe('the marketplace table', () => {
  it('holds exactly the published marketplaces', () => {
    expect(MARKETPLACES.map((market) => market.countryCode).sort()).toEqual(
      PUBLISHED.map(([code]) => code).sort(),
    );
  });

  it.each(PUBLISHED)(
    '%s (%s) is in %s with the published consent hosts',
    (code, id, region, seller, vendor) => {
      // Act
      const byId = findMarketplace(id);
      const byCode = findMarketplace(code.toLowerCase());

      // Assess
      expect(byId).toBe(byCode);
      expect(byId).toMatchObject({ id, countryCode: code, region });
      expect(byId && consentHost(byId, 'seller')).toBe(seller);
      expect(byId && consentHost(byId, 'vendor')).toBe(vendor);
      // /login accepts every consent host, in the marketplace's region.
      expect(DEFAULT_LOGIN_HOSTS[seller]).toBe(region);
      if (vendor) expect(DEFAULT_LOGIN_HOSTS[vendor]).toBe(region);
    },
  );

  it('accepts GB for the United Kingdom, and nothing that is not a marketplace', () => {
    expect(findMarketplace('GB')?.id).toBe('A1F83G8C2ARO7P');
    expect(findMarketplace('XX')).toBeUndefined();
    expect(findMarketplace('A1PA6795UKMFR')).toBeUndefined();
  });

  it('offers vendors only the marketplaces that have a Vendor Central host', () => {
    expect(marketplacesFor('vendor').map((market) => market.countryCode)).not.toContain('IE');
    expect(marketplacesFor('seller')).toHaveLength(MARKETPLACES.length);
  });

  it('keeps the country Seller Central hosts /login accepted before', () => {
    for (const host of ['sellercentral.amazon.co.uk', 'sellercentral.amazon.de', 'sellercentral.amazon.fr'])
      expect(DEFAULT_LOGIN_HOSTS[host]).toBe('EU');
    expect(DEFAULT_LOGIN_HOSTS['sellercentral.amazon.com']).toBe('NA');
    expect(DEFAULT_LOGIN_HOSTS['sellercentral.amazon.co.jp']).toBe('FE');
  });
});
