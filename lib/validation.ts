import { type Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  DEFAULTS,
  isLwaRegion,
  LWA_REGIONS,
  type LwaRegion,
  SECRETS_MANAGER_WRITES_PER_SECOND_QUOTA,
  TOKEN_CLIENT_CACHE_MARGIN_SECONDS,
} from './defaults';

/** Secret names allow these characters; a trailing slash would make `prefix//sellers` names. */
const TOKEN_SECRET_PREFIX_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
const COMPLETE_SECRET_ARN_PATTERN = /^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN_PATTERN = /^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const LOGIN_HOST_PATTERN =
  /^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);

/** Thrown at synth time for props that would deploy a broken or unsafe service. */
export class LwaTokenServicePropsError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'LwaTokenServicePropsError';
  }
}

export function validateTokenSecretPrefix(scope: IConstruct, prefix: string): string {
  if (Token.isUnresolved(prefix)) {
    throw new LwaTokenServicePropsError(
      scope,
      'tokenSecretPrefix must be a literal string: IAM policies and the token client derive secret names from it at synth time.',
    );
  }
  if (!TOKEN_SECRET_PREFIX_PATTERN.test(prefix) || prefix.endsWith('/') || prefix.startsWith('/')) {
    throw new LwaTokenServicePropsError(
      scope,
      `tokenSecretPrefix must match ${TOKEN_SECRET_PREFIX_PATTERN.source} and must not start or end with "/"; got ${JSON.stringify(prefix)}.`,
    );
  }
  return prefix;
}

export function validateCompleteSecretArn(scope: IConstruct, name: string, arn: string): string {
  if (!Token.isUnresolved(arn) && !COMPLETE_SECRET_ARN_PATTERN.test(arn)) {
    throw new LwaTokenServicePropsError(
      scope,
      `${name} must be the complete secret ARN including the 6-character suffix (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-AbCdEf); got ${JSON.stringify(arn)}.`,
    );
  }
  return arn;
}

export function validateKmsKeyArn(scope: IConstruct, name: string, arn: string): string {
  if (!Token.isUnresolved(arn) && !KMS_KEY_ARN_PATTERN.test(arn)) {
    throw new LwaTokenServicePropsError(
      scope,
      `${name} must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>); got ${JSON.stringify(arn)}.`,
    );
  }
  return arn;
}

export function validateRegions(scope: IConstruct, regions: readonly string[]): LwaRegion[] {
  if (regions.length === 0) {
    throw new LwaTokenServicePropsError(
      scope,
      `refreshRegions must name at least one of ${LWA_REGIONS.join(', ')}.`,
    );
  }
  const unknown = regions.filter((region) => !isLwaRegion(region));
  if (unknown.length > 0) {
    throw new LwaTokenServicePropsError(
      scope,
      `refreshRegions must be a subset of ${LWA_REGIONS.join(', ')}; unknown: ${unknown.map((r) => JSON.stringify(r)).join(', ')}.`,
    );
  }
  return [...new Set(regions as LwaRegion[])];
}

/**
 * A base URL: https, or http only on loopback (the repo's emulators). The
 * handlers append paths such as `/auth/o2/token`, so a trailing slash, query or
 * fragment would produce a wrong URL.
 */
function validateBaseUrl(scope: IConstruct, name: string, value: string, allowLoopbackHttp: boolean): string {
  if (Token.isUnresolved(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new LwaTokenServicePropsError(
      scope,
      `${name} must be an absolute URL; got ${JSON.stringify(value)}.`,
    );
  }
  const loopbackHttp = allowLoopbackHttp && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    const httpHint = allowLoopbackHttp ? ' (http:// is allowed only for localhost or 127.0.0.1)' : '';
    throw new LwaTokenServicePropsError(
      scope,
      `${name} must be an https:// URL${httpHint}; got ${JSON.stringify(value)}.`,
    );
  }
  if (url.search || url.hash || url.username || url.password || value.endsWith('/')) {
    throw new LwaTokenServicePropsError(
      scope,
      `${name} must be a base URL without trailing slash, query, fragment or credentials; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Merges overrides over the documented LWA endpoints and validates each URL. */
export function resolveLwaEndpoints(
  scope: IConstruct,
  overrides: Partial<Record<string, string>> | undefined,
): Record<LwaRegion, string> {
  return resolveEndpoints(scope, 'lwaEndpoints', DEFAULTS.lwaEndpoints, overrides);
}

/** Merges overrides over the documented Selling Partner API endpoints and validates each URL. */
export function resolveSpApiEndpoints(
  scope: IConstruct,
  overrides: Partial<Record<string, string>> | undefined,
): Record<LwaRegion, string> {
  return resolveEndpoints(scope, 'spApiEndpoints', DEFAULTS.spApiEndpoints, overrides);
}

function resolveEndpoints(
  scope: IConstruct,
  name: string,
  defaults: Readonly<Record<LwaRegion, string>>,
  overrides: Partial<Record<string, string>> | undefined,
): Record<LwaRegion, string> {
  const unknown = Object.keys(overrides ?? {}).filter((region) => !isLwaRegion(region));
  if (unknown.length > 0) {
    throw new LwaTokenServicePropsError(
      scope,
      `${name} keys must be among ${LWA_REGIONS.join(', ')}; unknown: ${unknown.join(', ')}.`,
    );
  }
  const merged: Record<LwaRegion, string> = { ...defaults };
  for (const region of LWA_REGIONS) {
    const override = overrides?.[region];
    if (override !== undefined) merged[region] = override;
    validateBaseUrl(scope, `${name}.${region}`, merged[region], true);
  }
  return merged;
}

/** The SP-API region the application is registered in: where its client secret is rotated. */
export function validateApplicationRegion(scope: IConstruct, region: string): LwaRegion {
  if (!isLwaRegion(region)) {
    throw new LwaTokenServicePropsError(
      scope,
      `applicationRegion must be one of ${LWA_REGIONS.join(', ')} (the region whose SP-API endpoint rotates the app's client secret); got ${JSON.stringify(region)}.`,
    );
  }
  return region;
}

export function validateSellerCentralUrls(
  scope: IConstruct,
  urls: Partial<Record<string, string>>,
): Partial<Record<LwaRegion, string>> {
  const result: Partial<Record<LwaRegion, string>> = {};
  for (const [region, url] of Object.entries(urls)) {
    if (!isLwaRegion(region)) {
      throw new LwaTokenServicePropsError(
        scope,
        `sellerCentralUrls keys must be among ${LWA_REGIONS.join(', ')}; got ${JSON.stringify(region)}.`,
      );
    }
    if (url === undefined) continue;
    result[region] = validateBaseUrl(scope, `sellerCentralUrls.${region}`, url, false);
  }
  return result;
}

/** Serializes the `/login` allow-list as the handler's `host=REGION,…` format. */
export function validateLoginHosts(scope: IConstruct, hosts: Readonly<Record<string, string>>): string {
  const entries = Object.entries(hosts);
  if (entries.length === 0) {
    throw new LwaTokenServicePropsError(scope, 'loginAllowedHosts must name at least one host when given.');
  }
  return entries
    .map(([host, region]) => {
      if (!LOGIN_HOST_PATTERN.test(host)) {
        throw new LwaTokenServicePropsError(
          scope,
          `loginAllowedHosts keys must be lower-case hostnames, optionally with :port, without scheme or path; got ${JSON.stringify(host)}.`,
        );
      }
      if (!isLwaRegion(region)) {
        throw new LwaTokenServicePropsError(
          scope,
          `loginAllowedHosts.${host} must be one of ${LWA_REGIONS.join(', ')}; got ${JSON.stringify(region)}.`,
        );
      }
      return `${host}=${region}`;
    })
    .join(',');
}

/** A redirect URI override must be https and point at the callback route. */
export function validateRedirectUri(scope: IConstruct, uri: string): string {
  if (Token.isUnresolved(uri)) return uri;
  validateBaseUrl(scope, 'redirectUri', uri, false);
  if (!new URL(uri).pathname.endsWith('/callback')) {
    throw new LwaTokenServicePropsError(
      scope,
      `redirectUri must end with the /callback route; got ${JSON.stringify(uri)}.`,
    );
  }
  return uri;
}

/**
 * The lead is how long before the returned expiry the refresher renews a token.
 * It must leave a reader's cache margin plus the same again for the schedule
 * tick, the lease and retries to happen first, so it must exceed twice the
 * token client's cache margin. It must also stay well inside a typical token
 * lifetime (3600 s), or every token is refreshed almost as soon as it is issued.
 */
export function validateRefreshLead(scope: IConstruct, lead: Duration): number {
  const seconds = lead.toSeconds();
  const minimum = 2 * TOKEN_CLIENT_CACHE_MARGIN_SECONDS;
  const maximum = DEFAULTS.maxRefreshLead.toSeconds();
  if (!Number.isInteger(seconds) || seconds <= minimum || seconds > maximum) {
    throw new LwaTokenServicePropsError(
      scope,
      `refreshLead must be more than ${minimum} seconds (twice the token client's ${TOKEN_CLIENT_CACHE_MARGIN_SECONDS}-second cache margin) and at most ${maximum} seconds; got ${seconds} seconds.`,
    );
  }
  return seconds;
}

export function validateIntegerInRange(
  scope: IConstruct,
  name: string,
  value: number,
  min: number,
  max: number,
  why = '',
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LwaTokenServicePropsError(
      scope,
      `${name} must be an integer from ${min} to ${max}${why}; got ${value}.`,
    );
  }
  return value;
}

/**
 * Each concurrent refresher paces its own writes, so the account-wide rate is
 * writes per second times the number of refreshers that may run at once.
 */
export function validateSecretsWriteRate(
  scope: IConstruct,
  writesPerSecond: number,
  reservedConcurrency: number | undefined,
): number {
  const quota = SECRETS_MANAGER_WRITES_PER_SECOND_QUOTA;
  validateIntegerInRange(
    scope,
    'secretsWritesPerSecond',
    writesPerSecond,
    1,
    quota,
    ` (Secrets Manager allows ${quota} writes per second per account and region, shared by every writer)`,
  );
  // Without a reservation, overlapping runs each pace themselves; only the per-run cap applies.
  if (reservedConcurrency === undefined) return writesPerSecond;
  validateIntegerInRange(scope, 'refreshReservedConcurrency', reservedConcurrency, 1, quota);
  if (writesPerSecond * reservedConcurrency > quota) {
    throw new LwaTokenServicePropsError(
      scope,
      `secretsWritesPerSecond × refreshReservedConcurrency must not exceed the Secrets Manager quota of ${quota} writes per second; got ${writesPerSecond} × ${reservedConcurrency} = ${writesPerSecond * reservedConcurrency}.`,
    );
  }
  return writesPerSecond;
}

/** LWA scope syntax, e.g. `sellingpartnerapi::notifications`. */
const SCOPE_PATTERN = /^[A-Za-z0-9_:.-]+$/;

/** Grantless scopes per region: known regions, valid and unique scopes. */
export function validateGrantlessScopes(
  scope: IConstruct,
  scopes: Partial<Record<string, string[]>>,
): Partial<Record<LwaRegion, string[]>> {
  const result: Partial<Record<LwaRegion, string[]>> = {};
  for (const [region, list] of Object.entries(scopes)) {
    if (!(LWA_REGIONS as readonly string[]).includes(region)) {
      throw new LwaTokenServicePropsError(
        scope,
        `grantlessScopes has unknown region "${region}"; use NA, EU or FE.`,
      );
    }
    const bad = (list ?? []).filter((s) => typeof s !== 'string' || s.length > 128 || !SCOPE_PATTERN.test(s));
    if (bad.length > 0) {
      throw new LwaTokenServicePropsError(
        scope,
        `grantlessScopes.${region} has invalid scopes ${JSON.stringify(bad)}; a scope matches ${SCOPE_PATTERN} (e.g. sellingpartnerapi::notifications).`,
      );
    }
    result[region as LwaRegion] = [...new Set(list ?? [])];
  }
  return result;
}

/** An SP-API application id as the Developer Console shows it (`amzn1.sp.solution.…`). */
export function validateApplicationId(scope: IConstruct, applicationId: string): string {
  if (!/^amzn1\.[A-Za-z0-9.-]{1,120}$/.test(applicationId)) {
    throw new LwaTokenServicePropsError(
      scope,
      `applicationId must be the SP-API application id from the Developer Console (amzn1.sp.solution.…); got ${JSON.stringify(applicationId)}.`,
    );
  }
  return applicationId;
}

/** The app secret is created (optionally named and replicated), or imported by ARN, or by name: one of them. */
export function validateAppSecretSource(
  scope: IConstruct,
  props: {
    readonly appSecretArn?: string;
    readonly appSecretName?: string;
    readonly appSecretReplicaRegions?: string[];
    readonly existingAppSecretName?: string;
    readonly appSecretKeyArn?: string;
  },
): void {
  const creates = props.appSecretName !== undefined || props.appSecretReplicaRegions !== undefined;
  const imports = [props.appSecretArn, props.existingAppSecretName].filter((v) => v !== undefined).length;
  if (imports > 1 || (imports === 1 && creates)) {
    throw new LwaTokenServicePropsError(
      scope,
      'Pass one app secret source: appSecretArn (import by ARN), existingAppSecretName (import a replica by name), or appSecretName/appSecretReplicaRegions (create it).',
    );
  }
  if (props.appSecretReplicaRegions !== undefined && props.appSecretName === undefined) {
    throw new LwaTokenServicePropsError(
      scope,
      'appSecretReplicaRegions needs appSecretName: the other regions find their replica by that name.',
    );
  }
  for (const region of props.appSecretReplicaRegions ?? []) {
    if (!Token.isUnresolved(region) && !AWS_REGION_PATTERN.test(region)) {
      throw new LwaTokenServicePropsError(
        scope,
        `appSecretReplicaRegions must hold AWS region names such as eu-west-1; got ${JSON.stringify(region)}.`,
      );
    }
  }
  if (props.existingAppSecretName !== undefined && props.appSecretKeyArn !== undefined) {
    throw new LwaTokenServicePropsError(
      scope,
      'appSecretKeyArn does not apply to existingAppSecretName: a replica read by name must use its region’s aws/secretsmanager key.',
    );
  }
}

/** An AWS region name such as `us-east-1` or `ap-southeast-2`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * The period in seconds of a `rate(N minute[s])` (or hour, day) schedule expression: how far apart
 * two runs are scheduled. Undefined for cron, one-time and unresolved expressions, whose next run
 * is not a fixed period away.
 */
export function scheduleTickSeconds(expression: string): number | undefined {
  if (Token.isUnresolved(expression)) return undefined;
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  const unit = match[2] as string;
  const secondsPerUnit = unit.startsWith('minute') ? 60 : unit.startsWith('hour') ? 3600 : 86_400;
  return count >= 1 ? count * secondsPerUnit : undefined;
}

/**
 * `REFRESH_DRAIN_SECONDS`: how long before its successor is due a run stops taking work. Each of
 * the `concurrency` workers may hold a seller whose write still waits for a slot of the write cap
 * at the deadline, and those writes need `concurrency / cap` seconds to go out, plus a second for
 * the calls around them; never less than the default 3 s (8 workers at 20/s need 0.4 s).
 */
export function refreshDrainSeconds(concurrency: number, writesPerSecond: number): number {
  return Math.max(DEFAULTS.refreshDrain.toSeconds(), Math.ceil(concurrency / writesPerSecond) + 1);
}
