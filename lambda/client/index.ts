/**
 * Token client for Lambdas that call SP-API: reads a seller's (or a grantless scope's) current LWA
 * access token from Secrets Manager and caches it in memory until shortly before it expires. It
 * never calls LWA and never sees the app's client secret. The function needs read access to the
 * token secrets (`grantReadTokens`).
 *
 * ```ts
 * import { defaultTokenClient, getAccessToken, SellerNotAuthorizedError } from '../client';
 *
 * export async function handler(event: { sellerId: string }) {
 *   const seller = { sellerId: event.sellerId, region: 'NA' } as const;
 *   try {
 *     const { accessToken } = await getAccessToken(seller); // cached until ~60 s before expiry
 *     const res = await fetch(spApiUrl, { headers: { 'x-amz-access-token': accessToken } });
 *     if (res.status === 401 || res.status === 403) defaultTokenClient().invalidate(seller);
 *   } catch (error) {
 *     if (error instanceof SellerNotAuthorizedError) return { status: 'send seller to /authorize' };
 *     throw error; // messages never contain a token, so logging them is safe
 *   }
 * }
 * ```
 *
 * For middy handlers, `lwaAccessToken` lives in `./middleware` so this entry stays free of middy.
 */
import type {
  AccessToken,
  DeviceTokenRequest,
  GrantlessTokenRequest,
  SellerTokenRequest,
} from './token-client';
import { defaultTokenClient } from './token-client';

export {
  InvalidTokenRequestError,
  SellerNotAuthorizedError,
  type SellerNotAuthorizedReason,
  TokenClientConfigError,
  TokenClientError,
  TokenExpiredError,
  TokenReadError,
} from './errors';
export { SECRET_REGIONS_ENV, type SecretRegions } from './secret-regions';
export {
  type AccessToken,
  DEFAULT_CACHE_MARGIN_SECONDS,
  DEFAULT_MAX_CACHE_ENTRIES,
  type DeviceTokenRequest,
  defaultTokenClient,
  type GrantlessTokenRequest,
  type SellerTableOptions,
  type SellerTokenRequest,
  TokenClient,
  type TokenClientOptions,
} from './token-client';

/** `defaultTokenClient().getAccessToken(request)`: one cache per execution environment. */
export function getAccessToken(request: SellerTokenRequest): Promise<AccessToken> {
  return defaultTokenClient().getAccessToken(request);
}

/** `defaultTokenClient().getGrantlessToken(request)`. */
export function getGrantlessToken(request: GrantlessTokenRequest): Promise<AccessToken> {
  return defaultTokenClient().getGrantlessToken(request);
}

/** `defaultTokenClient().getDeviceToken(request)`: a device-flow account's token. */
export function getDeviceToken(request: DeviceTokenRequest): Promise<AccessToken> {
  return defaultTokenClient().getDeviceToken(request);
}
