import { isRegion, REGIONS, type Region } from '../shared/region-codes';
import { describe, TokenClientConfigError } from './errors';

/**
 * SP-API region to the AWS region whose Secrets Manager holds that region's token secrets, e.g.
 * `{ NA: 'us-east-1', EU: 'eu-west-1' }`. A subset is fine: reads for other regions are refused.
 */
export type SecretRegions = { readonly [R in Region]?: string };

/** Set on a consumer function by `grantReadTokens(fn)` of each per-region stack, as JSON. */
export const SECRET_REGIONS_ENV = 'TOKEN_SECRET_REGIONS';

/** Where the map came from, so errors name the thing to fix. */
export type SecretRegionsSetting = typeof SECRET_REGIONS_ENV | 'secretRegions';

export interface ResolvedSecretRegions {
  readonly setting: SecretRegionsSetting;
  readonly map: SecretRegions;
  /** How many distinct AWS regions (stacks) the map names. */
  readonly awsRegionCount: number;
}

// `xx-xxxx-N` and its longer forms: us-east-1, ap-southeast-2, us-gov-west-1, eu-central-2.
const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

/**
 * The map a client uses: the `secretRegions` option when given (it wins), else the environment
 * variable, else undefined (one client in the SDK's default region, as before per-region stacks).
 * Checked in full here, so a bad setting fails at construction rather than on some later read.
 */
export function resolveSecretRegions(
  option: unknown,
  env: string | undefined,
): ResolvedSecretRegions | undefined {
  if (option !== undefined) return validate('secretRegions', option);
  const raw = env?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // The parser's message quotes the input, which is nobody's business in a log line.
    throw notAMap(SECRET_REGIONS_ENV, 'it is not valid JSON');
  }
  return validate(SECRET_REGIONS_ENV, parsed);
}

/** The refusal of a read for a region the map leaves out, naming what it does map. */
export function unmappedRegionError(
  { setting, map }: ResolvedSecretRegions,
  region: Region,
): TokenClientConfigError {
  const mapped = REGIONS.filter((r) => map[r])
    .map((r) => `${r}: ${map[r]}`)
    .join(', ');
  return new TokenClientConfigError(
    setting,
    `Region ${region} is not in ${setting} (${mapped}): grant this function read access from the stack serving ${region}.`,
  );
}

function validate(setting: SecretRegionsSetting, value: unknown): ResolvedSecretRegions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw notAMap(setting, 'it is not a JSON object');
  }
  const map: { [R in Region]?: string } = {};
  for (const [key, awsRegion] of Object.entries(value)) {
    if (!isRegion(key)) throw notAMap(setting, `it maps ${describe(key)}, not NA, EU or FE`);
    if (typeof awsRegion !== 'string' || !AWS_REGION_PATTERN.test(awsRegion)) {
      throw notAMap(setting, `it maps ${key} to ${describe(awsRegion)}, not an AWS region`);
    }
    map[key] = awsRegion;
  }
  const awsRegionCount = new Set(Object.values(map)).size;
  if (awsRegionCount === 0) throw notAMap(setting, 'it maps no region');
  return { setting, map, awsRegionCount };
}

function notAMap(setting: SecretRegionsSetting, problem: string): TokenClientConfigError {
  return new TokenClientConfigError(
    setting,
    `${setting} must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1"}, but ${problem}. ${setting === SECRET_REGIONS_ENV ? 'Fix or unset it' : 'Fix the option'}.`,
  );
}
