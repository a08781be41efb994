import { resolveConsentTarget, UnknownMarketplaceError } from '../../../lambda/auth/consent-target';
import { BadParameterError } from '../../../lambda/auth/query-params';
import { DEFAULT_SELLER_CENTRAL_URLS } from '../../../lambda/shared/regions';

const REGION_URLS = { ...DEFAULT_SELLER_CENTRAL_URLS, EU: 'https://sellercentral.amazon.de' };

describe('resolveConsentTarget', () => {
  it('keeps region= alone on the region’s configured Seller Central URL', () => {
    expect(resolveConsentTarget({ region: 'EU' }, REGION_URLS)).toEqual({
      region: 'EU',
      consentBaseUrl: 'https://sellercentral.amazon.de',
    });
  });

  it.each([
    ['A2Q3Y263D00KWC', 'seller', 'NA', 'https://sellercentral.amazon.com.br'],
    ['br', 'seller', 'NA', 'https://sellercentral.amazon.com.br'],
    ['DE', 'seller', 'EU', 'https://sellercentral-europe.amazon.com'],
    ['DE', 'vendor', 'EU', 'https://vendorcentral.amazon.de'],
    ['IN', 'vendor', 'EU', 'https://www.vendorcentral.in'],
    ['JP', 'vendor', 'FE', 'https://vendorcentral.amazon.co.jp'],
  ] as const)('marketplace=%s for a %s goes to %s, %s', (marketplace, account, region, url) => {
    expect(resolveConsentTarget({ marketplace, account }, REGION_URLS)).toEqual({
      region,
      consentBaseUrl: url,
    });
  });

  it('accepts a region= that agrees with the marketplace', () => {
    expect(resolveConsentTarget({ region: 'FE', marketplace: 'AU' }, REGION_URLS).region).toBe('FE');
  });

  it('rejects an unknown marketplace and lists the valid ones', () => {
    const error = catchError(() => resolveConsentTarget({ marketplace: 'XX' }, REGION_URLS));
    expect(error).toBeInstanceOf(UnknownMarketplaceError);
    expect(error).toMatchObject({ reason: 'unknown', account: 'seller' });
    expect((error as UnknownMarketplaceError).validChoices).toContain('DE (A1PA6795UKMFR9)');
    expect((error as UnknownMarketplaceError).validChoices).toHaveLength(23);
  });

  it('rejects a vendor marketplace without a Vendor Central host, listing only vendor marketplaces', () => {
    const error = catchError(() =>
      resolveConsentTarget({ marketplace: 'IE', account: 'vendor' }, REGION_URLS),
    ) as UnknownMarketplaceError;
    expect(error).toMatchObject({ reason: 'unknown', account: 'vendor' });
    expect(error.validChoices).not.toContain('IE (A28R8C7NBKEWEA)');
  });

  it('rejects a marketplace outside the region asked for, listing that region’s marketplaces', () => {
    const error = catchError(() =>
      resolveConsentTarget({ region: 'NA', marketplace: 'DE' }, REGION_URLS),
    ) as UnknownMarketplaceError;
    expect(error).toMatchObject({ reason: 'other-region' });
    expect(error.validChoices).toEqual([
      'CA (A2EUQ1WTGCTBG2)',
      'US (ATVPDKIKX0DER)',
      'MX (A1AM78C64UM0Y8)',
      'BR (A2Q3Y263D00KWC)',
    ]);
  });

  it('needs a region or a marketplace, and a marketplace for a vendor', () => {
    expect(catchError(() => resolveConsentTarget({}, REGION_URLS))).toEqual(
      new BadParameterError('region', 'missing'),
    );
    expect(catchError(() => resolveConsentTarget({ region: 'NA', account: 'vendor' }, REGION_URLS))).toEqual(
      new BadParameterError('marketplace', 'missing'),
    );
  });
});

function catchError(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
