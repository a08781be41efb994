import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * An LWA region an SP-API application can authorize sellers in. The values are
 * the region codes of the public contract (secret names, the sellers table's
 * `region`), so `LwaRegion.EU === 'EU'`.
 */
export enum LwaRegion {
  /** North America (`api.amazon.com`). */
  NA = 'NA',
  /** Europe (`api.amazon.co.uk`). */
  EU = 'EU',
  /** Far East (`api.amazon.co.jp`). */
  FE = 'FE',
}

/** Every LWA region, in contract order. */
export const LWA_REGIONS: readonly LwaRegion[] = [LwaRegion.NA, LwaRegion.EU, LwaRegion.FE];

/** Whether a string is one of the region codes `NA`, `EU` or `FE`. */
export function isLwaRegion(value: string): value is LwaRegion {
  return (LWA_REGIONS as readonly string[]).includes(value);
}

/**
 * How many seconds before `accessTokenExpiresAt` the token client (the library
 * other Lambdas use to read tokens) stops serving a cached access token and
 * re-reads the secret.
 *
 * The refresher must have written the next token before any reader reaches
 * this margin, otherwise readers re-read, get the same nearly expired token and
 * call SP-API with it. That is why the refresh lead is validated against this
 * value. Keep it equal to the margin the client in `lambda/client` uses.
 */
export const TOKEN_CLIENT_CACHE_MARGIN_SECONDS = 60;

/**
 * Secrets Manager allows this many PutSecretValue/CreateSecret calls per second
 * per account and region. The quota is shared by every writer in the account
 * and cannot be raised.
 */
export const SECRETS_MANAGER_WRITES_PER_SECOND_QUOTA = 50;

/**
 * The AWS account the Selling Partner API sends notifications from. Amazon's
 * notification setup documents it; the notification queue lets exactly this
 * account send to it.
 */
export const SELLING_PARTNER_API_NOTIFICATIONS_ACCOUNT = '437568002678';

/**
 * Partition-key prefix of the client-secret rotation records in the state
 * table (`client-secret-rotation#<clientId>#<clientSecretExpiryTime>`). Grants
 * on those records are limited to this prefix with `dynamodb:LeadingKeys`.
 */
export const CLIENT_SECRET_ROTATION_RECORD_PREFIX = 'client-secret-rotation#';

/** Name of the sellers table GSI the refresher queries for due sellers (public contract). */
export const SELLER_TABLE_REGION_INDEX_NAME = 'byRegion';

/** The placeholder the created app credentials secret starts with (public contract shape). */
export const APP_SECRET_PLACEHOLDER = {
  clientId: 'REPLACE_ME',
  clientSecret: 'REPLACE_ME',
  applicationId: 'REPLACE_ME',
  draft: false,
} as const;

/**
 * Every default of the constructs in this library, in one place. Props JSDoc
 * `@default` tags refer to these values.
 */
export const DEFAULTS = {
  serviceName: 'lwa-token-service',
  metricsNamespace: 'LwaTokenService',
  logLevel: 'INFO',
  tokenSecretPrefix: 'lwa-tokens',
  lwaEndpoints: {
    NA: 'https://api.amazon.com',
    EU: 'https://api.amazon.co.uk',
    FE: 'https://api.amazon.co.jp',
  } satisfies Record<LwaRegion, string>,
  spApiEndpoints: {
    NA: 'https://sellingpartnerapi-na.amazon.com',
    EU: 'https://sellingpartnerapi-eu.amazon.com',
    FE: 'https://sellingpartnerapi-fe.amazon.com',
  } satisfies Record<LwaRegion, string>,
  applicationRegion: LwaRegion.NA,
  refreshRegions: [...LWA_REGIONS] as LwaRegion[],
  refreshLead: Duration.minutes(10),
  /** Upper bound for the lead: LWA access tokens usually live 3600 s, so a larger lead refreshes too early. */
  maxRefreshLead: Duration.minutes(30),
  secretsWritesPerSecond: 20,
  refreshConcurrency: 8,
  lwaMaxConcurrency: 8,
  refreshReservedConcurrency: 1,
  refreshScheduleExpression: 'rate(1 minute)',
  refreshTimeout: Duration.minutes(5),
  /** The refresh handler stops taking work this long before its timeout (REFRESH_STOP_BEFORE_TIMEOUT_SECONDS). */
  refreshStopBeforeTimeout: Duration.seconds(60),
  /** The refresh handler takes work for at most this long per run (REFRESH_RUN_BUDGET_SECONDS). */
  refreshRunBudget: Duration.seconds(50),
  /**
   * On a `rate(...)` schedule a run takes work until this long before its successor's scheduled
   * start, so its in-flight refreshes finish first (REFRESH_DRAIN_SECONDS). The least drain: at
   * low write caps it is longer (see refreshDrainSeconds).
   */
  refreshDrain: Duration.seconds(3),
  refreshMemorySize: 512,
  /** Lease must outlive the function timeout so a killed invocation's lease cannot be stolen mid-write. */
  leaseGrace: Duration.seconds(60),
  scheduleRetryAttempts: 2,
  /** Scheduler's minimum; a tick older than this is superseded by the next one anyway. */
  scheduleMaxEventAge: Duration.minutes(1),
  deadLetterRetention: Duration.days(14),
  rotationMemorySize: 256,
  rotationTimeout: Duration.seconds(30),
  /** Messages of one event-source batch; each is a separate rotation step with its own outcome. */
  rotationBatchSize: 10,
  /** The event source's minimum: rotations are rare, and the rotation API allows one call a minute. */
  rotationMaxConcurrency: 2,
  /**
   * Deliveries of a notification before it is dead-lettered. A 429 or 5xx from
   * SP-API is retried by redelivery, so this allows for a few of them.
   */
  notificationMaxReceiveCount: 5,
  /** AWS's advice for a queue a Lambda consumes: six times the function timeout. */
  notificationVisibilityTimeoutFactor: 6,
  authMemorySize: 256,
  /**
   * API Gateway gives up on a Lambda integration after 29 s. The auth functions stop a second
   * earlier, so the seller gets our page rather than a gateway timeout; inside that, each LWA
   * call gets only what is left beyond the reserve for the writes (lambda/shared/time-budget.ts).
   */
  authTimeout: Duration.seconds(28),
  apiGatewayIntegrationTimeout: Duration.seconds(29),
  logRetention: RetentionDays.THREE_MONTHS,
  apiStageName: 'prod',
  apiThrottlingRateLimit: 10,
  apiThrottlingBurstLimit: 20,
  /**
   * The oldest Node.js the bundles may run on: the AWS SDK for JavaScript v3 requires Node 22 from
   * January 2027. The functions themselves run on `nodejs24.x`.
   */
  bundlingTarget: 'node22',
} as const;
