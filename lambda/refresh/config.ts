import {
  ConfigurationError,
  getIntegerFromEnv,
  getStringFromEnv,
  loadLwaEndpoints,
  loadRefreshTiming,
  parseRegionList,
} from '../shared/env';
import { isRegion, type Region } from '../shared/regions';
import { DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS } from '../shared/scheduling';
import { DEFAULT_TOKEN_SECRET_PREFIX, isScope } from '../shared/secret-names';
import type { RefreshConfig } from './refresher';

type Env = Readonly<Record<string, string | undefined>>;

export interface RefreshHandlerConfig extends RefreshConfig {
  readonly sellerTableName: string;
  readonly appSecretId: string;
  readonly tokenSecretPrefix: string;
  /** Share of the account's 50 writes/s Secrets Manager quota this refresher may use. */
  readonly secretsWritesPerSecond: number;
  readonly lwaMaxConcurrency: number;
  /**
   * A run whose successor's start is unknown (no scheduled time in the event, or no tick) stops
   * taking new work after this long, so runs started every minute don't overlap.
   */
  readonly runBudgetSeconds: number;
  /** The schedule's period (`REFRESH_TICK_SECONDS`), set for `rate(...)` schedules only. */
  readonly tickSeconds?: number;
  /** On a known tick, a run stops taking work this long before its successor is due. */
  readonly drainSeconds: number;
  /** Time kept free before the Lambda timeout for in-flight work to finish. */
  readonly stopBeforeTimeoutSeconds: number;
  readonly eventBusName?: string;
  /** The state table, where the refresher reads whether a client-secret rotation is under way. */
  readonly stateTableName?: string;
}

/** `GRANTLESS_SCOPES`: JSON region → scopes, e.g. {"NA":["sellingpartnerapi::notifications"]}. */
export function parseGrantlessScopes(raw: string | undefined): Partial<Record<Region, string[]>> {
  if (!raw?.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(
      'Environment variable GRANTLESS_SCOPES must be JSON such as {"NA":["sellingpartnerapi::notifications"]}.',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(
      'Environment variable GRANTLESS_SCOPES must be a JSON object of region to a list of scopes.',
    );
  }
  const result: Partial<Record<Region, string[]>> = {};
  for (const [region, scopes] of Object.entries(parsed)) {
    if (!isRegion(region)) {
      throw new ConfigurationError(
        `Environment variable GRANTLESS_SCOPES has unknown region "${region}"; use NA, EU or FE.`,
      );
    }
    if (!Array.isArray(scopes) || scopes.some((scope) => !isScope(scope))) {
      throw new ConfigurationError(
        `Environment variable GRANTLESS_SCOPES must list scopes matching [A-Za-z0-9_:.-]+ for region ${region}.`,
      );
    }
    result[region] = [...new Set(scopes as string[])];
  }
  return result;
}

/** `AUTHORIZE_URL`: the API's `/authorize`, linked from `Seller authorization expiring`. */
function optionalAuthorizeUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!/^https?:\/\/[^\s?#]+$/.test(value)) {
    throw new ConfigurationError(
      'Environment variable AUTHORIZE_URL must be an absolute http(s) URL without a query, such as https://abc.execute-api.us-east-1.amazonaws.com/prod/authorize.',
    );
  }
  return value;
}

/** `REFRESH_TICK_SECONDS`: unset (or blank) for cron schedules, whose next run is no fixed period away. */
function optionalTickSeconds(env: Env): number | undefined {
  if (!env.REFRESH_TICK_SECONDS?.trim()) return undefined;
  return getIntegerFromEnv('REFRESH_TICK_SECONDS', env, 60, { min: 60, max: 86_400 });
}

export function loadRefreshConfig(env: Env = process.env): RefreshHandlerConfig {
  const config = readRefreshConfig(env);
  if (config.tickSeconds !== undefined && config.drainSeconds >= config.tickSeconds) {
    // Every run's window would be closed before it started: the refresher would never work.
    throw new ConfigurationError(
      `Environment variable REFRESH_DRAIN_SECONDS (${config.drainSeconds}) must be less than REFRESH_TICK_SECONDS (${config.tickSeconds}).`,
    );
  }
  return config;
}

function readRefreshConfig(env: Env): RefreshHandlerConfig {
  return {
    sellerTableName: getStringFromEnv('SELLER_TABLE_NAME', env),
    appSecretId: getStringFromEnv('APP_SECRET_ID', env),
    tokenSecretPrefix: getStringFromEnv('TOKEN_SECRET_PREFIX', env, DEFAULT_TOKEN_SECRET_PREFIX),
    lwaEndpoints: loadLwaEndpoints(env),
    kmsKeyId: getStringFromEnv('TOKEN_KMS_KEY_ID', env),
    regions: parseRegionList('REFRESH_REGIONS', getStringFromEnv('REFRESH_REGIONS', env, 'NA,EU,FE')),
    ...loadRefreshTiming(env),
    secretsWritesPerSecond: getIntegerFromEnv('SECRETS_WRITES_PER_SECOND', env, 20, { min: 1, max: 50 }),
    concurrency: getIntegerFromEnv('REFRESH_CONCURRENCY', env, 8, { min: 1, max: 64 }),
    lwaMaxConcurrency: getIntegerFromEnv('LWA_MAX_CONCURRENCY', env, 8, { min: 1, max: 64 }),
    leaseSeconds: getIntegerFromEnv('LEASE_SECONDS', env, 360, { min: 30, max: 3600 }),
    lwaMaxAttempts: getIntegerFromEnv('LWA_MAX_ATTEMPTS', env, 3, { min: 1, max: 10 }),
    runBudgetSeconds: getIntegerFromEnv('REFRESH_RUN_BUDGET_SECONDS', env, 50, { min: 5, max: 840 }),
    tickSeconds: optionalTickSeconds(env),
    drainSeconds: getIntegerFromEnv('REFRESH_DRAIN_SECONDS', env, 3, { min: 0, max: 3600 }),
    stopBeforeTimeoutSeconds: getIntegerFromEnv('REFRESH_STOP_BEFORE_TIMEOUT_SECONDS', env, 60, {
      min: 5,
      max: 600,
    }),
    minSecretWriteIntervalSeconds: getIntegerFromEnv(
      'MIN_SECRET_WRITE_INTERVAL_SECONDS',
      env,
      DEFAULT_MIN_SECRET_WRITE_INTERVAL_SECONDS,
      { min: 0, max: 3600 },
    ),
    eventBusName: env.EVENT_BUS_NAME?.trim() || undefined,
    stateTableName: env.STATE_TABLE_NAME?.trim() || undefined,
    authorizeUrl: optionalAuthorizeUrl(env.AUTHORIZE_URL),
    grantlessScopes: parseGrantlessScopes(env.GRANTLESS_SCOPES),
  };
}
