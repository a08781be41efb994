import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LwaTokenCommonProps } from './common-props';
import { CLIENT_SECRET_ROTATION_RECORD_PREFIX, DEFAULTS, type LwaRegion } from './defaults';
import { grantPutLifecycleEvents } from './lifecycle-events';
import { acknowledge } from './nag';
import { ServiceFunction } from './service-function';
import type { TokenStore } from './token-store';
import {
  LwaTokenServicePropsError,
  refreshDrainSeconds,
  resolveLwaEndpoints,
  scheduleTickSeconds,
  validateGrantlessScopes,
  validateIntegerInRange,
  validateRefreshLead,
  validateRegions,
  validateSecretsWriteRate,
} from './validation';

/** The refresh handler rejects larger values at cold start. */
const MAX_PER_INVOCATION_CONCURRENCY = 64;

const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/** Options of {@link TokenRefresher} that the main construct passes through. */
export interface TokenRefresherOptions extends LwaTokenCommonProps {
  /**
   * Regions whose sellers are refreshed (`REFRESH_REGIONS`).
   * @default ['NA', 'EU', 'FE']
   */
  readonly refreshRegions?: LwaRegion[];
  /**
   * How often the refresher looks for due sellers.
   * @default ScheduleExpression.expression('rate(1 minute)')
   */
  readonly refreshSchedule?: scheduler.ScheduleExpression;
  /**
   * Cap on the refresher's Secrets Manager writes per second, 1 to 50. The
   * 50/s quota is per account and region and shared with every other writer,
   * including the callback.
   * @default 20
   */
  readonly secretsWritesPerSecond?: number;
  /**
   * Sellers refreshed in parallel by one invocation (`REFRESH_CONCURRENCY`), 1 to 64.
   * @default 8
   */
  readonly refreshConcurrency?: number;
  /**
   * Concurrent LWA requests of one invocation (`LWA_MAX_CONCURRENCY`), 1 to 64.
   * @default 8
   */
  readonly lwaMaxConcurrency?: number;
  /**
   * Reserved concurrency of the refresh function. The write cap applies per
   * invocation, so `secretsWritesPerSecond × refreshReservedConcurrency` must
   * stay within the 50/s quota. The account needs unreserved concurrency to
   * spare for this (new accounts with a concurrency limit of 10 have none):
   * set `reserveRefreshConcurrency: false` to deploy without a reservation.
   * @default 1
   */
  readonly refreshReservedConcurrency?: number;
  /**
   * Whether the refresh function gets reserved concurrency at all. `false`
   * deploys without a reservation (for accounts with no unreserved concurrency
   * to spare), in which case runs that overlap each use their own write cap.
   * Do not combine `false` with `refreshReservedConcurrency`.
   * @default true
   */
  readonly reserveRefreshConcurrency?: boolean;
  /**
   * Refresh function timeout. The lease is this plus 60 seconds. The refresher stops taking work
   * 60 seconds before its timeout, and on a `rate(...)` schedule a run takes work until a few
   * seconds before its successor is due, so the timeout must leave room for a whole period plus those 60
   * seconds (120 seconds for `rate(1 minute)`, at most 15 minutes). On a cron schedule a run works
   * for up to 50 seconds, so at least 110 seconds.
   * @default Duration.minutes(5)
   */
  readonly refreshTimeout?: Duration;
  /**
   * Refresh function memory in MiB.
   * @default 512
   */
  readonly refreshMemorySize?: number;
  /**
   * @deprecated use `eventBus`, which every lifecycle event goes to; this older name is honoured
   * when `eventBus` is not given.
   * @default - `eventBus`
   */
  readonly reauthEventBus?: events.IEventBus;
  /**
   * Grantless scopes (`grant_type=client_credentials`) to keep a token for, per region, e.g.
   * `{ NA: ['sellingpartnerapi::notifications'] }`. Each scope is indexed in the sellers table
   * (`sellerId = grantless#<scope>`, `kind = grantless`) by the first refresher run after a
   * deploy, which also obtains its first token; from then on it is refreshed like a seller.
   * Scopes must match `^[A-Za-z0-9_:.-]+$`.
   * @default - none
   */
  readonly grantlessScopes?: { [region: string]: string[] };
  /**
   * Create an alarm that fires when the refresher falls behind: most runs of 15 minutes reached
   * their deadline with sellers still due, so the fleet is at or past what the write cap keeps
   * fresh. Tokens then start expiring before they are refreshed; raise `secretsWritesPerSecond`
   * (each 1/s keeps about 2,700 more sellers fresh) or deploy per-region stacks.
   * @default true
   */
  readonly refreshBehindAlarm?: boolean;
  /**
   * Create an alarm that fires when anything reaches the dead-letter queue.
   * @default true
   */
  readonly refreshDeadLetterAlarm?: boolean;
}

/** Props of {@link TokenRefresher}. */
export interface TokenRefresherProps extends TokenRefresherOptions {
  /** Tables, secrets and key the refresher uses. */
  readonly tokenStore: TokenStore;
  /**
   * The API's `/authorize` URL (`AUTHORIZE_URL`), linked from `Seller authorization expiring`.
   * @default - the events carry no authorize link
   */
  readonly authorizeUrl?: string;
}

/**
 * The refresh Lambda on an EventBridge Scheduler schedule, with one
 * dead-letter queue for both failed deliveries and failed invocations.
 */
export class TokenRefresher extends Construct {
  /** The refresh function. */
  public readonly refreshFunction: lambda.Function;
  /** The schedule that invokes it. */
  public readonly schedule: scheduler.Schedule;
  /** Role the scheduler assumes to invoke the function. */
  public readonly scheduleRole: iam.Role;
  /** Undeliverable schedule events and failed invocation records. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Messages waiting in the dead-letter queue; alarm on `>= 1`. */
  public readonly refreshDeadLetterMetric: cloudwatch.Metric;
  /** The alarm on {@link refreshDeadLetterMetric}, unless disabled. */
  public readonly deadLetterAlarm?: cloudwatch.Alarm;
  /** Runs that stopped at their time budget with work left, per 5 minutes. */
  public readonly refreshBehindMetric: cloudwatch.Metric;
  /** The alarm on {@link refreshBehindMetric}, unless disabled. */
  public readonly refreshBehindAlarm?: cloudwatch.Alarm;
  /** The bus the refresher puts lifecycle events on. */
  public readonly eventBus: events.IEventBus;
  /** Refreshable items whose access token has expired, as the last run counted them (a gauge). */
  public readonly tokensExpiredMetric: cloudwatch.Metric;
  /** Fires when any refreshable token is expired. */
  public readonly tokensExpiredAlarm: cloudwatch.Alarm;
  /** Fires when a refresh token LWA rotated could not be stored. */
  public readonly unpersistedRotationsAlarm: cloudwatch.Alarm;
  /** Fires when the refresh function was not invoked for 5 minutes. */
  public readonly notRunningAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TokenRefresherProps) {
    super(scope, id);

    const store = props.tokenStore;
    const lwaEndpoints = resolveLwaEndpoints(this, props.lwaEndpoints);
    const regions = validateRegions(this, props.refreshRegions ?? DEFAULTS.refreshRegions);
    const leadSeconds = validateRefreshLead(this, props.refreshLead ?? DEFAULTS.refreshLead);
    if (props.reserveRefreshConcurrency === false && props.refreshReservedConcurrency !== undefined) {
      throw new LwaTokenServicePropsError(
        this,
        'refreshReservedConcurrency has no effect with reserveRefreshConcurrency: false; drop one of them.',
      );
    }
    const reservedConcurrency =
      props.reserveRefreshConcurrency === false
        ? undefined
        : (props.refreshReservedConcurrency ?? DEFAULTS.refreshReservedConcurrency);
    const writesPerSecond = validateSecretsWriteRate(
      this,
      props.secretsWritesPerSecond ?? DEFAULTS.secretsWritesPerSecond,
      reservedConcurrency,
    );
    const refreshConcurrency = validateIntegerInRange(
      this,
      'refreshConcurrency',
      props.refreshConcurrency ?? DEFAULTS.refreshConcurrency,
      1,
      MAX_PER_INVOCATION_CONCURRENCY,
    );
    const lwaMaxConcurrency = validateIntegerInRange(
      this,
      'lwaMaxConcurrency',
      props.lwaMaxConcurrency ?? DEFAULTS.lwaMaxConcurrency,
      1,
      MAX_PER_INVOCATION_CONCURRENCY,
    );
    const timeout = props.refreshTimeout ?? DEFAULTS.refreshTimeout;
    const scheduleExpression =
      props.refreshSchedule ?? scheduler.ScheduleExpression.expression(DEFAULTS.refreshScheduleExpression);
    // Known for rate(...) schedules only: a run then takes work until its successor is due.
    const tickSeconds = scheduleTickSeconds(scheduleExpression.expressionString);
    const stopBeforeSeconds = DEFAULTS.refreshStopBeforeTimeout.toSeconds();
    const runBudgetSeconds = DEFAULTS.refreshRunBudget.toSeconds();
    const workSeconds = tickSeconds ?? runBudgetSeconds;
    // Below this the handler's stop-before-timeout margin cuts every run short (or leaves it no
    // work time at all). A period longer than a Lambda can run needs the longest timeout.
    const minTimeoutSeconds = Math.min(stopBeforeSeconds + workSeconds, MAX_LAMBDA_TIMEOUT_SECONDS);
    if (timeout.toSeconds() < minTimeoutSeconds || timeout.toSeconds() > MAX_LAMBDA_TIMEOUT_SECONDS) {
      const works =
        tickSeconds === undefined
          ? `works for up to ${runBudgetSeconds} seconds a run`
          : `takes work until its successor is due, ${tickSeconds} seconds after it was`;
      throw new LwaTokenServicePropsError(
        this,
        `refreshTimeout must be from ${minTimeoutSeconds} seconds to 15 minutes: the refresher stops taking work ${stopBeforeSeconds} seconds before its timeout and ${works}, so a shorter timeout leaves it too little working time, or none; got ${timeout.toSeconds()} seconds.`,
      );
    }
    const leaseSeconds = timeout.toSeconds() + DEFAULTS.leaseGrace.toSeconds();
    const grantlessScopes = validateGrantlessScopes(this, props.grantlessScopes ?? {});
    const hasGrantless = Object.values(grantlessScopes).some((scopes) => scopes.length > 0);
    const eventBus =
      props.eventBus ??
      props.reauthEventBus ??
      events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    this.eventBus = eventBus;
    this.secretsWritesPerSecond = writesPerSecond;
    const drainSeconds = refreshDrainSeconds(refreshConcurrency, writesPerSecond);
    if (tickSeconds !== undefined && drainSeconds > tickSeconds / 2) {
      throw new LwaTokenServicePropsError(
        this,
        `refreshConcurrency ${refreshConcurrency} at secretsWritesPerSecond ${writesPerSecond} leaves writes queued for ${drainSeconds - 1} seconds when a run stops taking work, more than half of the ${tickSeconds}-second schedule; lower refreshConcurrency to at most ${writesPerSecond * (Math.floor(tickSeconds / 2) - 1)} or raise secretsWritesPerSecond.`,
      );
    }
    this.runWorkSeconds = tickSeconds === undefined ? runBudgetSeconds : tickSeconds - drainSeconds;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEFAULTS.deadLetterRetention,
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the refresh schedule and function.',
    );
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is itself the dead-letter queue of the refresh schedule and function.',
    );

    const handler = new ServiceFunction(this, 'RefreshHandler', {
      bundle: 'refresh',
      description: 'LWA token service: refreshes access tokens that expire soon',
      memorySize: props.refreshMemorySize ?? DEFAULTS.refreshMemorySize,
      timeout,
      logRetention: props.logRetention ?? DEFAULTS.logRetention,
      reservedConcurrentExecutions: reservedConcurrency,
      onFailure: new SqsDestination(this.deadLetterQueue),
      // The next tick re-runs whatever a failed run left, so a retry would only
      // overlap it; the failure record goes to the dead-letter queue instead.
      retryAttempts: 0,
      // A tick throttled behind a running refresh may wait that long before it
      // is dropped (and dead-lettered).
      maxEventAge: timeout.plus(DEFAULTS.scheduleMaxEventAge),
      environment: {
        SELLER_TABLE_NAME: store.sellerTable.tableName,
        STATE_TABLE_NAME: store.stateTable.tableName,
        APP_SECRET_ID: store.appSecretId,
        TOKEN_SECRET_PREFIX: store.tokenSecretPrefix,
        LWA_ENDPOINTS: JSON.stringify(lwaEndpoints),
        TOKEN_KMS_KEY_ID: store.encryptionKey.keyArn,
        REFRESH_LEAD_SECONDS: String(leadSeconds),
        REFRESH_REGIONS: regions.join(','),
        SECRETS_WRITES_PER_SECOND: String(writesPerSecond),
        REFRESH_CONCURRENCY: String(refreshConcurrency),
        LWA_MAX_CONCURRENCY: String(lwaMaxConcurrency),
        LEASE_SECONDS: String(leaseSeconds),
        REFRESH_DRAIN_SECONDS: String(drainSeconds),
        ...(tickSeconds !== undefined ? { REFRESH_TICK_SECONDS: String(tickSeconds) } : {}),
        EVENT_BUS_NAME: eventBus.eventBusName,
        ...(props.authorizeUrl !== undefined ? { AUTHORIZE_URL: props.authorizeUrl } : {}),
        ...(hasGrantless ? { GRANTLESS_SCOPES: JSON.stringify(grantlessScopes) } : {}),
      },
    });
    this.refreshFunction = handler.lambdaFunction;
    acknowledge(
      this.refreshFunction,
      'Serverless-LambdaDLQ',
      'Failed asynchronous invocations go to the same queue through an on-failure destination, which records the error as well as the event.',
    );

    store.grantReadAppSecret(handler.role);
    // Sellers and device accounts are tagged sellerId, grantless tokens scope; all of them region.
    store.grantReadWriteTokens(handler.role, ['sellerId', 'scope', 'region']);
    // PutItem only indexes configured grantless scopes (conditional on the item not existing).
    // Scan is the sellers-by-status census: one page per run, never on the refresh path.
    store.grantSellerTable(
      handler.role,
      [
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:Scan',
        ...(hasGrantless ? ['dynamodb:PutItem'] : []),
      ],
      ['dynamodb:Query'],
    );
    grantPutLifecycleEvents(eventBus, handler.role);
    // The rotation records only: to tell "expiring" from "rotation under way", and to record which
    // client-secret warnings were sent.
    store.grantStateTable(
      handler.role,
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      CLIENT_SECRET_ROTATION_RECORD_PREFIX,
    );

    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      description: 'EventBridge Scheduler: invoke the LWA token refresher',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
    });
    this.scheduleRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.refreshFunction.functionArn],
      }),
    );
    this.scheduleRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Refresh LWA access tokens that expire soon',
      schedule: scheduleExpression,
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.LambdaInvoke(this.refreshFunction, {
        // The tick's own time, from which the run works out when its successor is due.
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        // The target would otherwise grant itself `function:*` (every version
        // and alias); the schedule only invokes the unqualified ARN granted above.
        role: this.scheduleRole.withoutPolicyUpdates(),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: DEFAULTS.scheduleRetryAttempts,
        maxEventAge: DEFAULTS.scheduleMaxEventAge,
      }),
    });

    this.refreshDeadLetterMetric = this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: DEFAULTS.scheduleMaxEventAge,
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    // Published by the refresh handler through Powertools Metrics (namespace and service dimension).
    this.refreshBehindMetric = new cloudwatch.Metric({
      namespace: DEFAULTS.metricsNamespace,
      metricName: 'RunBudgetExhausted',
      dimensionsMap: { service: 'refresher' },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
    if (props.refreshBehindAlarm ?? true) {
      this.refreshBehindAlarm = new cloudwatch.Alarm(this, 'RefreshBehindAlarm', {
        alarmDescription:
          'Most refresh runs reached their deadline with sellers still due: the fleet is at or past what the write cap keeps fresh, and tokens may expire before they are refreshed. Raise secretsWritesPerSecond, or deploy per-region stacks or more accounts.',
        metric: this.refreshBehindMetric,
        threshold: 4,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (props.refreshDeadLetterAlarm ?? true) {
      this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
        alarmDescription:
          'A refresh tick could not be delivered or the refresh function failed; inspect the dead-letter queue and the refresher logs.',
        metric: this.refreshDeadLetterMetric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.tokensExpiredMetric = refresherMetric('TokensExpired', cloudwatch.Stats.MAXIMUM);
    this.tokensExpiredAlarm = new cloudwatch.Alarm(this, 'TokensExpiredAlarm', {
      alarmDescription:
        'Access tokens have expired without a refresh, so their sellers get 401s from SP-API. Check the RefreshBehind and AppCredentialFaults alarms and the refresher logs ("Refresh failed", lastError on DEGRADED items); if runs hit their budget, raise secretsWritesPerSecond.',
      metric: this.tokensExpiredMetric,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // A refresher that stopped publishing is the not-running alarm's to report.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.unpersistedRotationsAlarm = new cloudwatch.Alarm(this, 'UnpersistedRotationsAlarm', {
      alarmDescription:
        'LWA rotated a refresh token and every PutSecretValue retry failed, so the seller may have to authorize again. Find the seller in the refresher logs ("Unpersisted rotation"), check Secrets Manager throttling and KMS access, and send the seller the authorize link if its next refresh fails with invalid_grant.',
      metric: refresherMetric('UnpersistedRotations', cloudwatch.Stats.SUM),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notRunningAlarm = new cloudwatch.Alarm(this, 'NotRunningAlarm', {
      alarmDescription:
        "The refresh function has not been invoked for 5 minutes, so no token is being refreshed. Check that the EventBridge Scheduler schedule is enabled, the scheduler role may invoke the function, the dead-letter queue, and the function's throttles and reserved concurrency.",
      // No datapoint at all is the failure here, so missing data breaches.
      metric: this.refreshFunction.metricInvocations({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  /** The Powertools `service` dimension of the refresh handler's metrics. */
  public static readonly metricsService = 'refresher';
  /** The refresher's cap on Secrets Manager writes per second. */
  public readonly secretsWritesPerSecond: number;
  /**
   * How long into its tick a run takes work: the schedule's period less the drain on a
   * `rate(...)` schedule (57 s for `rate(1 minute)`), the 50 s run budget otherwise.
   */
  public readonly runWorkSeconds: number;
}

/** A metric the refresh handler publishes through Powertools Metrics, per 5 minutes. */
export function refresherMetric(
  metricName: string,
  statistic: string,
  period: Duration = Duration.minutes(5),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: DEFAULTS.metricsNamespace,
    metricName,
    dimensionsMap: { service: TokenRefresher.metricsService },
    statistic,
    period,
  });
}
