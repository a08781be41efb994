import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LwaTokenCommonProps } from './common-props';
import {
  CLIENT_SECRET_ROTATION_RECORD_PREFIX,
  DEFAULTS,
  type LwaRegion,
  SELLING_PARTNER_API_NOTIFICATIONS_ACCOUNT,
} from './defaults';
import { grantPutLifecycleEvents } from './lifecycle-events';
import { acknowledge } from './nag';
import { ServiceFunction } from './service-function';
import type { TokenStore } from './token-store';
import { resolveLwaEndpoints, resolveSpApiEndpoints, validateApplicationRegion } from './validation';

/** Options of {@link ClientSecretRotation} that the main construct passes through. */
export interface ClientSecretRotationOptions extends LwaTokenCommonProps {
  /**
   * The SP-API region the application is registered in. Its client secret is
   * rotated through that region's Application Management endpoint
   * (`APPLICATION_REGION`).
   * @default 'NA'
   */
  readonly applicationRegion?: LwaRegion;
  /**
   * Selling Partner API base URLs per region, merged over the defaults
   * (`SPAPI_ENDPOINTS`). `https://` only, or `http://` on localhost/127.0.0.1
   * for the emulator; no trailing slash.
   * @default { NA: 'https://sellingpartnerapi-na.amazon.com', EU: 'https://sellingpartnerapi-eu.amazon.com', FE: 'https://sellingpartnerapi-fe.amazon.com' }
   */
  readonly spApiEndpoints?: { [region: string]: string };
}

/** Props of {@link ClientSecretRotation}. */
export interface ClientSecretRotationProps extends ClientSecretRotationOptions {
  /** The app secret it rotates and the state table that records rotations. */
  readonly tokenStore: TokenStore;
}

/**
 * Rotates the LWA client secret without an operator: SP-API sends its expiry
 * notice and then the new secret to {@link notificationQueue}, and the rotation
 * function asks for a new secret and stores it next to the previous one. Also
 * holds the alarms that fire before an expired secret stops every refresh.
 */
export class ClientSecretRotation extends Construct {
  /** Where SP-API sends the client-secret notifications; register its ARN in the Developer Console. */
  public readonly notificationQueue: sqs.Queue;
  /** Notifications that failed every delivery, or that can never succeed (a 403 from SP-API). */
  public readonly notificationDeadLetterQueue: sqs.Queue;
  /** The function that consumes {@link notificationQueue}. */
  public readonly rotationFunction: lambda.Function;
  /** Refresh runs that stopped because LWA rejected the app credentials, per 5 minutes. */
  public readonly appCredentialFaultsMetric: cloudwatch.Metric;
  /** Fires when LWA rejects the app credentials (`invalid_client`): every refresh is failing. */
  public readonly appCredentialFaultsAlarm: cloudwatch.Alarm;
  /** 1 while the client secret expires within 30 days and no rotation is under way, else 0. */
  public readonly clientSecretExpiringMetric: cloudwatch.Metric;
  /** Fires when the client secret expires within 30 days and nothing is rotating it. */
  public readonly clientSecretExpiringAlarm: cloudwatch.Alarm;
  /** Messages waiting in {@link notificationDeadLetterQueue}. */
  public readonly notificationDeadLetterMetric: cloudwatch.Metric;
  /** Fires when a notification reached {@link notificationDeadLetterQueue}. */
  public readonly notificationDeadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ClientSecretRotationProps) {
    super(scope, id);

    const store = props.tokenStore;
    const lwaEndpoints = resolveLwaEndpoints(this, props.lwaEndpoints);
    const spApiEndpoints = resolveSpApiEndpoints(this, props.spApiEndpoints);
    const applicationRegion = validateApplicationRegion(
      this,
      props.applicationRegion ?? DEFAULTS.applicationRegion,
    );
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    const timeout = DEFAULTS.rotationTimeout;

    this.notificationDeadLetterQueue = new sqs.Queue(this, 'NotificationDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEFAULTS.deadLetterRetention,
    });
    acknowledge(
      this.notificationDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the client-secret notification queue.',
    );
    acknowledge(
      this.notificationDeadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is itself the dead-letter queue of the client-secret notification queue.',
    );

    // SSE-SQS rather than the store's key, so Amazon's account can send
    // without a grant on our key.
    this.notificationQueue = new sqs.Queue(this, 'NotificationQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * DEFAULTS.notificationVisibilityTimeoutFactor),
      deadLetterQueue: {
        queue: this.notificationDeadLetterQueue,
        maxReceiveCount: DEFAULTS.notificationMaxReceiveCount,
      },
    });
    this.notificationQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SellingPartnerApiNotifications',
        principals: [new iam.AccountPrincipal(SELLING_PARTNER_API_NOTIFICATIONS_ACCOUNT)],
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
        resources: [this.notificationQueue.queueArn],
      }),
    );

    const handler = new ServiceFunction(this, 'RotationHandler', {
      bundle: 'rotation',
      description: 'LWA token service: rotates the LWA client secret on SP-API notifications',
      memorySize: DEFAULTS.rotationMemorySize,
      timeout,
      logRetention: props.logRetention ?? DEFAULTS.logRetention,
      environment: {
        APP_SECRET_ID: store.appSecretId,
        STATE_TABLE_NAME: store.stateTable.tableName,
        LWA_ENDPOINTS: JSON.stringify(lwaEndpoints),
        SPAPI_ENDPOINTS: JSON.stringify(spApiEndpoints),
        APPLICATION_REGION: applicationRegion,
        NOTIFICATION_DLQ_URL: this.notificationDeadLetterQueue.queueUrl,
        EVENT_BUS_NAME: eventBus.eventBusName,
      },
    });
    this.rotationFunction = handler.lambdaFunction;
    const notifications = new SqsEventSource(this.notificationQueue, {
      batchSize: DEFAULTS.rotationBatchSize,
      maxConcurrency: DEFAULTS.rotationMaxConcurrency,
      reportBatchItemFailures: true,
    });
    this.rotationFunction.addEventSource(notifications);
    const mapping = this.rotationFunction.node.children.find(
      (child) => child instanceof lambda.EventSourceMapping,
    );
    if (mapping) {
      acknowledge(
        mapping,
        'Serverless-LambdaEventSourceMappingDestination',
        "SQS event source mappings take no on-failure destination; failed notifications reach the queue's dead-letter queue through its redrive policy.",
      );
    }

    acknowledge(
      this.rotationFunction,
      'Serverless-LambdaDLQ',
      "The function is only invoked by its SQS event source mapping; failed notifications reach the queue's dead-letter queue through its redrive policy.",
    );

    store.grantReadWriteAppSecret(handler.role);
    store.grantStateTable(
      handler.role,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      CLIENT_SECRET_ROTATION_RECORD_PREFIX,
    );
    // A notification that can never succeed (403) is moved to the DLQ by the
    // function itself, so it is not redelivered until maxReceiveCount.
    handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.notificationDeadLetterQueue.queueArn],
      }),
    );
    grantPutLifecycleEvents(eventBus, handler.role);

    const faults = createAppCredentialFaultsAlarm(this);
    this.appCredentialFaultsMetric = faults.metric;
    this.appCredentialFaultsAlarm = faults.alarm;

    this.clientSecretExpiringMetric = new cloudwatch.Metric({
      namespace: DEFAULTS.metricsNamespace,
      metricName: 'ClientSecretExpiring',
      dimensionsMap: { service: 'refresher' },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(15),
    });
    this.clientSecretExpiringAlarm = new cloudwatch.Alarm(this, 'ClientSecretExpiringAlarm', {
      alarmDescription:
        "The LWA client secret expires within 30 days and no rotation is under way: Amazon's expiry notification did not arrive or was not handled. Check that the NotificationQueueArn output is registered in the Developer Console (Notification preferences), then run `npx lwa-tokens rotate-client-secret`.",
      metric: this.clientSecretExpiringMetric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.notificationDeadLetterMetric =
      this.notificationDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      });
    this.notificationDeadLetterAlarm = new cloudwatch.Alarm(this, 'NotificationDeadLetterAlarm', {
      alarmDescription:
        "A client-secret notification could not be handled: SP-API refused the rotation (403: the app may not rotate, or the grantless token lacks the rotation scope) or it kept failing. Read the rotation function's error log and fix what it names, then redrive the dead-letter queue to the notification queue. Do not purge it: a new-secret notification in it carries the new client secret.",
      metric: this.notificationDeadLetterMetric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/**
 * The refresher's `AppCredentialFaults` metric and its alarm, in `scope` as `AppCredentialFaultsAlarm`.
 * Part of {@link ClientSecretRotation}; a deployment without the rotation creates it on its own,
 * because its refresher fails just as hard on a rejected client secret.
 */
export function createAppCredentialFaultsAlarm(scope: Construct): {
  metric: cloudwatch.Metric;
  alarm: cloudwatch.Alarm;
} {
  // Published by the refresh handler through Powertools Metrics (namespace and service dimension).
  const metric = new cloudwatch.Metric({
    namespace: DEFAULTS.metricsNamespace,
    metricName: 'AppCredentialFaults',
    dimensionsMap: { service: 'refresher' },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
  });
  const alarm = new cloudwatch.Alarm(scope, 'AppCredentialFaultsAlarm', {
    alarmDescription:
      'LWA rejected the app credentials (invalid_client): refreshes are stopped and access tokens expire within the hour. Run `npx lwa-tokens client-secret-status`; if the client secret expired or was replaced, put the current one from the Developer Console into the app secret, or run `npx lwa-tokens rotate-client-secret`.',
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { metric, alarm };
}
