import { DEFAULT_LWA_ENDPOINTS, isRegion, REGIONS, type Region } from './regions';
import { DEFAULT_REFRESH_LEAD_SECONDS, DEFAULT_REFRESH_SPREAD_SECONDS } from './scheduling';

/** Raised at cold start when the environment is missing or malformed; names the variable and what to do. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function getStringFromEnv(name: string, env: Env = process.env, defaultValue?: string): string {
  const value = env[name]?.trim();
  if (value) return value;
  if (defaultValue !== undefined) return defaultValue;
  throw new ConfigurationError(
    `Environment variable ${name} is not set. The CDK construct sets it; if you run the handler yourself, set ${name}.`,
  );
}

export function getIntegerFromEnv(
  name: string,
  env: Env,
  defaultValue: number,
  bounds: { min: number; max: number },
): number {
  const raw = env[name]?.trim();
  if (!raw) return defaultValue;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new ConfigurationError(
      `Environment variable ${name} must be an integer from ${bounds.min} to ${bounds.max}, got "${raw}".`,
    );
  }
  return value;
}

/** Parses a JSON object of region → URL, such as `LWA_ENDPOINTS`; every URL must be absolute http(s). */
export function parseRegionUrlMap(name: string, raw: string): Partial<Record<Region, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(
      `Environment variable ${name} must be a JSON object such as {"NA":"https://api.amazon.com"}, but it is not valid JSON.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`Environment variable ${name} must be a JSON object of region to URL.`);
  }
  const result: Partial<Record<Region, string>> = {};
  for (const [region, url] of Object.entries(parsed)) {
    if (!isRegion(region)) {
      throw new ConfigurationError(
        `Environment variable ${name} has unknown region "${region}"; use NA, EU or FE.`,
      );
    }
    if (typeof url !== 'string' || !/^https?:\/\/[^\s/]+/.test(url)) {
      throw new ConfigurationError(
        `Environment variable ${name} has no valid http(s) URL for region ${region}.`,
      );
    }
    result[region] = url.replace(/\/+$/, '');
  }
  return result;
}

export function parseRegionList(name: string, raw: string): Region[] {
  const regions = raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = regions.filter((r) => !isRegion(r));
  if (regions.length === 0 || unknown.length > 0) {
    throw new ConfigurationError(
      `Environment variable ${name} must be a comma-separated list of NA, EU, FE; got "${raw}".`,
    );
  }
  return [...new Set(regions)] as Region[];
}

/**
 * `SERVED_REGIONS`: the regions whose sellers and device accounts this deployment may authorize,
 * which are the regions its refresher keeps fresh (a per-region stack sets it). Unset, every
 * region is served.
 */
export function loadServedRegions(env: Env): Region[] {
  return parseRegionList('SERVED_REGIONS', env.SERVED_REGIONS?.trim() || REGIONS.join(','));
}

/**
 * `LWA_ENDPOINTS` merged over Amazon's hosts. Handlers require the variable (the constructs always
 * set it); the CLI passes `required: false` and talks to Amazon unless told otherwise.
 */
export function loadLwaEndpoints(
  env: Env,
  options: { required: boolean } = { required: true },
): Record<Region, string> {
  const raw = options.required ? getStringFromEnv('LWA_ENDPOINTS', env) : env.LWA_ENDPOINTS?.trim() || '{}';
  return { ...DEFAULT_LWA_ENDPOINTS, ...parseRegionUrlMap('LWA_ENDPOINTS', raw) };
}

/** `REFRESH_LEAD_SECONDS` and `REFRESH_SPREAD_SECONDS`, read the same way by every writer of a schedule. */
export function loadRefreshTiming(env: Env): { leadSeconds: number; spreadSeconds: number } {
  return {
    leadSeconds: getIntegerFromEnv('REFRESH_LEAD_SECONDS', env, DEFAULT_REFRESH_LEAD_SECONDS, {
      min: 120,
      max: 3000,
    }),
    spreadSeconds: getIntegerFromEnv('REFRESH_SPREAD_SECONDS', env, DEFAULT_REFRESH_SPREAD_SECONDS, {
      min: 0,
      max: 1800,
    }),
  };
}
