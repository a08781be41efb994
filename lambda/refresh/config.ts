import { getIntegerFromEnv, getStringFromEnv, parseRegionList, parseRegionUrlMap } from '../shared/env';
import { DEFAULT_LWA_ENDPOINTS, type Region } from '../shared/regions';
import { DEFAULT_REFRESH_LEAD_SECONDS, DEFAULT_REFRESH_SPREAD_SECONDS } from '../shared/scheduling';
import { DEFAULT_TOKEN_SECRET_PREFIX } from '../shared/secret-names';
import type { RefreshConfig } from './refresher';

type Env = Readonly<Record<string, string | undefined>>;

export interface RefreshHandlerConfig extends RefreshConfig {
  readonly sellerTableName: string;
  readonly appSecretId: string;
  readonly tokenSecretPrefix: string;
  /** Share of the account's 50 writes/s Secrets Manager quota this refresher may use. */
  readonly secretsWritesPerSecond: number;
  readonly lwaMaxConcurrency: number;
  /** A run stops taking new work after this long, so runs started every minute don't overlap. */
  readonly runBudgetSeconds: number;
  /** Time kept free before the Lambda timeout for in-flight work to finish. */
  readonly stopBeforeTimeoutSeconds: number;
  readonly eventBusName?: string;
}

export function loadRefreshConfig(env: Env = process.env): RefreshHandlerConfig {
  return {
    sellerTableName: getStringFromEnv('SELLER_TABLE_NAME', env),
    appSecretId: getStringFromEnv('APP_SECRET_ID', env),
    tokenSecretPrefix: getStringFromEnv('TOKEN_SECRET_PREFIX', env, DEFAULT_TOKEN_SECRET_PREFIX),
    lwaEndpoints: {
      ...DEFAULT_LWA_ENDPOINTS,
      ...parseRegionUrlMap('LWA_ENDPOINTS', getStringFromEnv('LWA_ENDPOINTS', env)),
    } as Record<Region, string>,
    kmsKeyId: getStringFromEnv('TOKEN_KMS_KEY_ID', env),
    regions: parseRegionList('REFRESH_REGIONS', getStringFromEnv('REFRESH_REGIONS', env, 'NA,EU,FE')),
    leadSeconds: getIntegerFromEnv('REFRESH_LEAD_SECONDS', env, DEFAULT_REFRESH_LEAD_SECONDS, {
      min: 120,
      max: 3000,
    }),
    spreadSeconds: getIntegerFromEnv('REFRESH_SPREAD_SECONDS', env, DEFAULT_REFRESH_SPREAD_SECONDS, {
      min: 0,
      max: 1800,
    }),
    secretsWritesPerSecond: getIntegerFromEnv('SECRETS_WRITES_PER_SECOND', env, 20, { min: 1, max: 50 }),
    concurrency: getIntegerFromEnv('REFRESH_CONCURRENCY', env, 8, { min: 1, max: 64 }),
    lwaMaxConcurrency: getIntegerFromEnv('LWA_MAX_CONCURRENCY', env, 8, { min: 1, max: 64 }),
    leaseSeconds: getIntegerFromEnv('LEASE_SECONDS', env, 360, { min: 30, max: 3600 }),
    lwaMaxAttempts: getIntegerFromEnv('LWA_MAX_ATTEMPTS', env, 3, { min: 1, max: 10 }),
    runBudgetSeconds: getIntegerFromEnv('REFRESH_RUN_BUDGET_SECONDS', env, 50, { min: 5, max: 840 }),
    stopBeforeTimeoutSeconds: getIntegerFromEnv('REFRESH_STOP_BEFORE_TIMEOUT_SECONDS', env, 60, {
      min: 5,
      max: 600,
    }),
    eventBusName: env.EVENT_BUS_NAME?.trim() || undefined,
  };
}
