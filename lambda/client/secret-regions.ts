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
  /** The distinct AWS regions, in NA, EU, FE order. */
  readonly awsRegions: readonly string[];
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
export function unmappedRegionError(resolved: ResolvedSecretRegions, region: Region): TokenClientConfigError {
  const { setting } = resolved;
  const mapped = REGIONS.filter((r) => resolved.map[r] !== undefined)
    .map((r) => `${r} to ${resolved.map[r]}`)
    .join(', ');
  const fix =
    setting === SECRET_REGIONS_ENV
      ? `grant this function read access from the stack that serves ${region} (its grantReadTokens(fn) adds ${region} to ${SECRET_REGIONS_ENV})`
      : `add ${region} to secretRegions with the AWS region of the stack that serves it, and grant this function read access from that stack`;
  return new TokenClientConfigError(
    setting,
    `Region ${region} is not in ${setting}, which maps only ${mapped}: ${fix}.`,
  );
}

function validate(setting: SecretRegionsSetting, value: unknown): ResolvedSecretRegions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw notAMap(setting, `it is ${kindOf(value)}`);
  }
  const map: { [R in Region]?: string } = {};
  for (const [key, awsRegion] of Object.entries(value)) {
    if (!isRegion(key)) {
      throw new TokenClientConfigError(
        setting,
        `${setting} maps ${describe(key)}, which is not an SP-API region: the keys must be ${REGIONS.join(', ')}.${fixHint(setting)}`,
      );
    }
    if (typeof awsRegion !== 'string' || !AWS_REGION_PATTERN.test(awsRegion)) {
      throw new TokenClientConfigError(
        setting,
        `${setting} maps ${key} to ${describe(awsRegion)}, which is not an AWS region name like us-east-1.${fixHint(setting)}`,
      );
    }
    map[key] = awsRegion;
  }
  const awsRegions = [...new Set(REGIONS.flatMap((r) => map[r] ?? []))];
  if (awsRegions.length === 0) throw notAMap(setting, 'it maps no region');
  return { setting, map: Object.freeze(map), awsRegions };
}

function notAMap(setting: SecretRegionsSetting, problem: string): TokenClientConfigError {
  return new TokenClientConfigError(
    setting,
    `${setting} must map SP-API regions to AWS regions, e.g. {"NA":"us-east-1","EU":"eu-west-1"}, but ${problem}.${fixHint(setting)}`,
  );
}

function fixHint(setting: SecretRegionsSetting): string {
  return setting === SECRET_REGIONS_ENV
    ? ` grantReadTokens(fn) of a per-region stack sets ${SECRET_REGIONS_ENV}; fix or unset it.`
    : ' Fix the secretRegions option.';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
