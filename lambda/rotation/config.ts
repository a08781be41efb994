import { ConfigurationError, getStringFromEnv, loadLwaEndpoints, parseRegionUrlMap } from '../shared/env';
import { isRegion, type Region } from '../shared/regions';
import type { ClientSecretRotationConfig } from './client-secret-rotation';

type Env = Readonly<Record<string, string | undefined>>;

/** Selling Partner API hosts per region (DESIGN.md, "Lambda environment"). */
export const DEFAULT_SPAPI_ENDPOINTS: Readonly<Record<Region, string>> = {
  NA: 'https://sellingpartnerapi-na.amazon.com',
  EU: 'https://sellingpartnerapi-eu.amazon.com',
  FE: 'https://sellingpartnerapi-fe.amazon.com',
};

export interface RotationHandlerConfig extends ClientSecretRotationConfig {
  /** Where a notice that can never succeed (Amazon answered 403) goes, so it is not retried forever. */
  readonly notificationDlqUrl: string;
  readonly eventBusName?: string;
}

/** `SPAPI_ENDPOINTS` merged over Amazon's hosts, and `APPLICATION_REGION` (default NA). */
export function loadSpApiSettings(env: Env): {
  applicationRegion: Region;
  spApiEndpoints: Record<Region, string>;
} {
  const applicationRegion = getStringFromEnv('APPLICATION_REGION', env, 'NA');
  if (!isRegion(applicationRegion)) {
    throw new ConfigurationError(
      `Environment variable APPLICATION_REGION must be NA, EU or FE (the region your app is registered in), got "${applicationRegion}".`,
    );
  }
  const raw = env.SPAPI_ENDPOINTS?.trim();
  return {
    applicationRegion,
    spApiEndpoints: { ...DEFAULT_SPAPI_ENDPOINTS, ...(raw ? parseRegionUrlMap('SPAPI_ENDPOINTS', raw) : {}) },
  };
}

export function loadRotationConfig(env: Env = process.env): RotationHandlerConfig {
  const { applicationRegion, spApiEndpoints } = loadSpApiSettings(env);
  return {
    appSecretId: getStringFromEnv('APP_SECRET_ID', env),
    stateTableName: getStringFromEnv('STATE_TABLE_NAME', env),
    applicationRegion,
    lwaEndpoint: loadLwaEndpoints(env)[applicationRegion],
    spApiEndpoint: spApiEndpoints[applicationRegion],
    notificationDlqUrl: getStringFromEnv('NOTIFICATION_DLQ_URL', env),
    eventBusName: env.EVENT_BUS_NAME?.trim() || undefined,
  };
}
