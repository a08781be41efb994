import {
  type AccountType,
  consentHost,
  findMarketplace,
  type Marketplace,
  marketplacesFor,
} from '../shared/marketplaces';
import type { Region } from '../shared/regions';
import { BadParameterError } from './query-params';

/** `marketplace=` named no marketplace with a consent page for the account type, or one outside `region=`. */
export class UnknownMarketplaceError extends Error {
  /** `DE (A1PA6795UKMFR9)` for each marketplace the request could have named. */
  readonly validChoices: string[];

  constructor(
    readonly account: AccountType,
    readonly reason: 'unknown' | 'other-region',
    choices: readonly Marketplace[],
  ) {
    super(
      reason === 'unknown'
        ? `The marketplace parameter names no ${account} marketplace.`
        : 'The marketplace parameter names a marketplace outside the region parameter.',
    );
    this.name = 'UnknownMarketplaceError';
    this.validChoices = choices.map((market) => `${market.countryCode} (${market.id})`);
  }
}

export interface ConsentRequest {
  readonly region?: Region;
  readonly marketplace?: string;
  readonly account?: AccountType;
}

export interface ConsentTarget {
  /** The region the state is bound to: the marketplace's, or the one asked for. */
  readonly region: Region;
  /** Base URL of the consent page; `/apps/authorize/consent` is appended. */
  readonly consentBaseUrl: string;
}

/**
 * Where `/authorize` sends the browser. `marketplace=` picks Amazon's consent host for that
 * marketplace (Seller Central, or Vendor Central with `account=vendor`) and binds the state to the
 * marketplace's region; `region=` alone keeps the region's configured Seller Central URL.
 */
export function resolveConsentTarget(
  request: ConsentRequest,
  regionSellerCentralUrls: Readonly<Record<Region, string>>,
): ConsentTarget {
  const account = request.account ?? 'seller';
  if (request.marketplace === undefined) {
    // A vendor has no region-wide Vendor Central host to fall back on.
    if (account === 'vendor') throw new BadParameterError('marketplace', 'missing');
    if (request.region === undefined) throw new BadParameterError('region', 'missing');
    return { region: request.region, consentBaseUrl: regionSellerCentralUrls[request.region] };
  }
  const market = findMarketplace(request.marketplace);
  const host = market && consentHost(market, account);
  if (!market || !host) throw new UnknownMarketplaceError(account, 'unknown', marketplacesFor(account));
  if (request.region !== undefined && request.region !== market.region) {
    throw new UnknownMarketplaceError(
      account,
      'other-region',
      marketplacesFor(account).filter((choice) => choice.region === request.region),
    );
  }
  return { region: market.region, consentBaseUrl: `https://${host}` };
}
