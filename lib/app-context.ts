import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { Node } from 'constructs';
import { isLwaRegion, LWA_REGIONS, type LwaRegion } from './defaults';
import type { LwaTokenServiceProps } from './lwa-token-service';
import { AWS_REGION_PATTERN } from './validation';

/**
 * Context keys the app reads (`cdk.json` or `-c key=value`). Values given on
 * the command line arrive as strings, so numbers, lists and JSON are parsed.
 */
export const CONTEXT_KEYS = [
  'stackName',
  'appSecretArn',
  'appSecretKeyArn',
  'tokenSecretPrefix',
  'lwaEndpoints',
  'spApiEndpoints',
  'applicationRegion',
  'refreshRegions',
  'refreshSchedule',
  'secretsWritesPerSecond',
  'refreshReservedConcurrency',
  'grantlessScopes',
  'deviceAuthorizationApi',
  'logRetentionDays',
  'apiThrottleRate',
  'apiThrottleBurst',
  'webAclArn',
  'rateLimitPerIp',
  'applicationId',
  'draftApplication',
  'alarmTopicArn',
  'deployments',
] as const;

type ContextKey = (typeof CONTEXT_KEYS)[number];

/** What the app needs to build the stack. */
export interface AppConfig {
  /** CloudFormation stack name. */
  readonly stackName: string;
  /** Props of the service, only the ones set in context. */
  readonly service: LwaTokenServiceProps;
  /**
   * One stack per AWS region, each serving the SP-API regions mapped to it (`-c deployments=…`),
   * in the order given; unset for the single environment-agnostic stack.
   */
  readonly deployments?: RegionalDeployment[];
}

/** One entry of the `deployments` context: an AWS region and the SP-API regions its stack serves. */
export interface RegionalDeployment {
  readonly awsRegion: string;
  readonly spApiRegions: LwaRegion[];
}

export const DEFAULT_STACK_NAME = 'LwaTokenService';

const RETENTION_VALUES = new Set(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

class ContextError extends Error {
  constructor(key: ContextKey, message: string, value: unknown) {
    super(`Context key "${key}" ${message}; got ${JSON.stringify(value)}.`);
    this.name = 'ContextError';
  }
}

/** Reads every context key once and returns typed props; unset keys keep the construct defaults. */
export function readAppConfig(node: Node): AppConfig {
  const raw = (key: ContextKey): unknown => node.tryGetContext(key);

  const service: { -readonly [K in keyof LwaTokenServiceProps]: LwaTokenServiceProps[K] } = {};
  const appSecretArn = optionalString(raw, 'appSecretArn');
  if (appSecretArn !== undefined) service.appSecretArn = appSecretArn;
  const appSecretKeyArn = optionalString(raw, 'appSecretKeyArn');
  if (appSecretKeyArn !== undefined) service.appSecretKeyArn = appSecretKeyArn;
  const prefix = optionalString(raw, 'tokenSecretPrefix');
  if (prefix !== undefined) service.tokenSecretPrefix = prefix;
  const endpoints = optionalStringRecord(raw, 'lwaEndpoints');
  if (endpoints !== undefined) service.lwaEndpoints = endpoints as Partial<Record<LwaRegion, string>>;
  const spApiEndpoints = optionalStringRecord(raw, 'spApiEndpoints');
  if (spApiEndpoints !== undefined) {
    service.spApiEndpoints = spApiEndpoints as Partial<Record<LwaRegion, string>>;
  }
  const applicationRegion = optionalString(raw, 'applicationRegion');
  if (applicationRegion !== undefined) {
    if (!(LWA_REGIONS as readonly string[]).includes(applicationRegion)) {
      throw new ContextError(
        'applicationRegion',
        `must be one of ${LWA_REGIONS.join(', ')}`,
        applicationRegion,
      );
    }
    service.applicationRegion = applicationRegion as LwaRegion;
  }
  const regions = optionalList(raw, 'refreshRegions');
  if (regions !== undefined) service.refreshRegions = regions as LwaRegion[];
  const schedule = optionalString(raw, 'refreshSchedule');
  if (schedule !== undefined) {
    if (!/^(rate|cron)\(.+\)$/.test(schedule)) {
      throw new ContextError('refreshSchedule', 'must be a rate(...) or cron(...) expression', schedule);
    }
    service.refreshSchedule = ScheduleExpression.expression(schedule);
  }
  const writes = optionalInteger(raw, 'secretsWritesPerSecond');
  if (writes !== undefined) service.secretsWritesPerSecond = writes;
  const reserved = raw('refreshReservedConcurrency');
  if (reserved === 'none') service.reserveRefreshConcurrency = false;
  else {
    const reservedCount = optionalInteger(raw, 'refreshReservedConcurrency');
    if (reservedCount !== undefined) service.refreshReservedConcurrency = reservedCount;
  }
  const grantless = raw('grantlessScopes');
  if (grantless !== undefined && grantless !== null) {
    let parsed: unknown = grantless;
    if (typeof grantless === 'string') {
      try {
        parsed = JSON.parse(grantless);
      } catch {
        throw new ContextError(
          'grantlessScopes',
          'must be a JSON object of region to a list of scopes',
          grantless,
        );
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ContextError('grantlessScopes', 'must be an object of region to a list of scopes', grantless);
    }
    service.grantlessScopes = parsed as Partial<Record<LwaRegion, string[]>>;
  }
  const device = raw('deviceAuthorizationApi');
  if (device !== undefined && device !== null) {
    if (device !== true && device !== false && device !== 'true' && device !== 'false') {
      throw new ContextError('deviceAuthorizationApi', 'must be true or false', device);
    }
    service.deviceAuthorizationApi = device === true || device === 'true';
  }
  const retention = optionalInteger(raw, 'logRetentionDays');
  if (retention !== undefined) {
    if (!RETENTION_VALUES.has(retention)) {
      throw new ContextError(
        'logRetentionDays',
        `must be a CloudWatch Logs retention (${[...RETENTION_VALUES].sort((a, b) => a - b).join(', ')})`,
        retention,
      );
    }
    service.logRetention = retention as RetentionDays;
  }
  const rate = optionalInteger(raw, 'apiThrottleRate');
  if (rate !== undefined) service.apiThrottlingRateLimit = rate;
  const burst = optionalInteger(raw, 'apiThrottleBurst');
  if (burst !== undefined) service.apiThrottlingBurstLimit = burst;
  const webAclArn = optionalString(raw, 'webAclArn');
  if (webAclArn !== undefined) service.webAclArn = webAclArn;
  const applicationId = optionalString(raw, 'applicationId');
  if (applicationId !== undefined) service.applicationId = applicationId;
  const draftApplication = raw('draftApplication');
  if (draftApplication !== undefined && draftApplication !== null) {
    if (![true, false, 'true', 'false'].includes(draftApplication as string | boolean)) {
      throw new ContextError('draftApplication', 'must be true or false', draftApplication);
    }
    service.draftApplication = draftApplication === true || draftApplication === 'true';
  }
  const rateLimitPerIp = optionalInteger(raw, 'rateLimitPerIp');
  if (rateLimitPerIp !== undefined) service.rateLimitPerIp = rateLimitPerIp;
  const alarmTopicArn = optionalString(raw, 'alarmTopicArn');
  if (alarmTopicArn !== undefined) {
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/.test(alarmTopicArn)) {
      throw new ContextError(
        'alarmTopicArn',
        'must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)',
        alarmTopicArn,
      );
    }
    service.alarmTopicArn = alarmTopicArn;
  }

  const deployments = readDeployments(raw);
  if (deployments !== undefined && service.refreshRegions !== undefined) {
    throw new ContextError(
      'refreshRegions',
      'cannot be combined with deployments, which gives each regional stack its SP-API regions; drop refreshRegions',
      raw('refreshRegions'),
    );
  }
  return {
    stackName: optionalString(raw, 'stackName') ?? DEFAULT_STACK_NAME,
    service,
    ...(deployments === undefined ? {} : { deployments }),
  };
}

const DEPLOYMENTS_EXAMPLE = `{"us-east-1":["NA"],"eu-west-1":["EU"],"us-west-2":["FE"]}`;

/**
 * `deployments`: a JSON object of AWS region to the SP-API regions its stack serves. Every SP-API
 * region named belongs to exactly one AWS region, because a seller's token is refreshed by one
 * stack only.
 */
function readDeployments(raw: Raw): RegionalDeployment[] | undefined {
  const value = raw('deployments');
  if (value === undefined || value === null) return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ContextError(
        'deployments',
        `must be a JSON object of AWS region to a list of SP-API regions, e.g. ${DEPLOYMENTS_EXAMPLE}`,
        value,
      );
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ContextError(
      'deployments',
      `must be an object of AWS region to a list of SP-API regions, e.g. ${DEPLOYMENTS_EXAMPLE}`,
      value,
    );
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0) {
    throw new ContextError(
      'deployments',
      `must name at least one AWS region, e.g. ${DEPLOYMENTS_EXAMPLE}; drop the key for one environment-agnostic stack`,
      value,
    );
  }
  const owner = new Map<string, string>();
  return entries.map(([awsRegion, spApiRegions]) => {
    if (!AWS_REGION_PATTERN.test(awsRegion)) {
      throw new ContextError(
        'deployments',
        `has "${awsRegion}" where an AWS region name such as us-east-1 or eu-west-1 belongs`,
        value,
      );
    }
    if (
      !Array.isArray(spApiRegions) ||
      spApiRegions.length === 0 ||
      spApiRegions.some((region) => typeof region !== 'string' || !isLwaRegion(region))
    ) {
      throw new ContextError(
        'deployments',
        `maps ${awsRegion} to ${JSON.stringify(spApiRegions)}; give a non-empty list of the SP-API regions ${LWA_REGIONS.join(', ')}`,
        value,
      );
    }
    for (const region of spApiRegions as string[]) {
      const other = owner.get(region);
      if (other !== undefined) {
        throw new ContextError(
          'deployments',
          `names the SP-API region ${region} under both ${other} and ${awsRegion}; each SP-API region must be served by exactly one AWS region`,
          value,
        );
      }
      owner.set(region, awsRegion);
    }
    return { awsRegion, spApiRegions: spApiRegions as LwaRegion[] };
  });
}

type Raw = (key: ContextKey) => unknown;

function optionalString(raw: Raw, key: ContextKey): string | undefined {
  const value = raw(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ContextError(key, 'must be a non-empty string', value);
  }
  return value.trim();
}

function optionalInteger(raw: Raw, key: ContextKey): number | undefined {
  const value = raw(key);
  if (value === undefined || value === null) return undefined;
  const parsed = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed)) {
    throw new ContextError(key, 'must be an integer', value);
  }
  return parsed;
}

function optionalList(raw: Raw, key: ContextKey): string[] | undefined {
  const value = raw(key);
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new ContextError(key, 'must be a list of strings or a comma-separated string', value);
  }
  return list as string[];
}

function optionalStringRecord(raw: Raw, key: ContextKey): Record<string, string> | undefined {
  const value = raw(key);
  if (value === undefined || value === null) return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ContextError(key, 'must be a JSON object', value);
    }
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((v) => typeof v !== 'string')
  ) {
    throw new ContextError(key, 'must be an object of strings', value);
  }
  return parsed as Record<string, string>;
}
