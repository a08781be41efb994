import {
  ConfigurationError,
  getStringFromEnv,
  loadLwaEndpoints,
  loadRefreshTiming,
  loadServedRegions,
  parseRegionUrlMap,
} from '../shared/env';
import { DEFAULT_LOGIN_HOSTS, DEFAULT_SELLER_CENTRAL_URLS, isRegion, type Region } from '../shared/regions';
import { DEFAULT_TOKEN_SECRET_PREFIX } from '../shared/secret-names';

type Env = Readonly<Record<string, string | undefined>>;

export interface AuthorizeConfig {
  readonly stateTableName: string;
  readonly servedRegions: readonly Region[];
  readonly sellerCentralUrls: Readonly<Record<Region, string>>;
  /** Overrides the callback URL derived from the request, e.g. behind a custom domain. */
  readonly redirectUri?: string;
}

export interface LoginConfig {
  readonly stateTableName: string;
  readonly servedRegions: readonly Region[];
  /** host[:port] → the region its sellers authorize in. */
  readonly loginHosts: Readonly<Record<string, Region>>;
  /** Overrides the callback URL derived from the request, e.g. behind a custom domain. */
  readonly redirectUri?: string;
}

export interface CallbackConfig {
  readonly stateTableName: string;
  readonly sellerTableName: string;
  readonly appSecretId: string;
  readonly servedRegions: readonly Region[];
  readonly tokenSecretPrefix: string;
  readonly lwaEndpoints: Readonly<Record<Region, string>>;
  readonly kmsKeyId: string;
  readonly leadSeconds: number;
  readonly spreadSeconds: number;
  readonly redirectUri?: string;
  /** Bus for `Seller authorized` / `Seller reauthorized`; without one, no event is sent. */
  readonly eventBusName?: string;
}

export function loadAuthorizeConfig(env: Env = process.env): AuthorizeConfig {
  return {
    stateTableName: getStringFromEnv('STATE_TABLE_NAME', env),
    servedRegions: loadServedRegions(env),
    sellerCentralUrls: {
      ...DEFAULT_SELLER_CENTRAL_URLS,
      ...parseRegionUrlMap('SELLER_CENTRAL_URLS', env.SELLER_CENTRAL_URLS?.trim() || '{}'),
    },
    redirectUri: optionalUrl('REDIRECT_URI', env),
  };
}

export function loadLoginConfig(env: Env = process.env): LoginConfig {
  return {
    stateTableName: getStringFromEnv('STATE_TABLE_NAME', env),
    servedRegions: loadServedRegions(env),
    loginHosts: parseLoginHosts(env.LOGIN_ALLOWED_HOSTS),
    redirectUri: optionalUrl('REDIRECT_URI', env),
  };
}

export function loadCallbackConfig(env: Env = process.env): CallbackConfig {
  return {
    stateTableName: getStringFromEnv('STATE_TABLE_NAME', env),
    sellerTableName: getStringFromEnv('SELLER_TABLE_NAME', env),
    appSecretId: getStringFromEnv('APP_SECRET_ID', env),
    servedRegions: loadServedRegions(env),
    tokenSecretPrefix: getStringFromEnv('TOKEN_SECRET_PREFIX', env, DEFAULT_TOKEN_SECRET_PREFIX),
    lwaEndpoints: loadLwaEndpoints(env),
    kmsKeyId: getStringFromEnv('TOKEN_KMS_KEY_ID', env),
    ...loadRefreshTiming(env),
    redirectUri: optionalUrl('REDIRECT_URI', env),
    eventBusName: env.EVENT_BUS_NAME?.trim() || undefined,
  };
}

/**
 * `LOGIN_ALLOWED_HOSTS` replaces the built-in Seller Central list. Entries are `host` (a known
 * Seller Central host) or `host=REGION`, comma-separated.
 */
export function parseLoginHosts(raw: string | undefined): Readonly<Record<string, Region>> {
  if (!raw?.trim()) return DEFAULT_LOGIN_HOSTS;
  const hosts: Record<string, Region> = {};
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [host = '', region] = entry.split('=');
    const resolved = region ?? DEFAULT_LOGIN_HOSTS[host];
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(host) || !isRegion(resolved)) {
      throw new ConfigurationError(
        `LOGIN_ALLOWED_HOSTS entry "${entry}" must be a Seller Central host or host=REGION (NA, EU or FE).`,
      );
    }
    hosts[host.toLowerCase()] = resolved;
  }
  return hosts;
}

function optionalUrl(name: string, env: Env): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(value))
    throw new ConfigurationError(`${name} must be an absolute http(s) URL.`);
  return value;
}
