import { Lazy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  ClientSecretRotation,
  type ClientSecretRotationOptions,
  createAppCredentialFaultsAlarm,
} from './client-secret-rotation';
import { DEFAULTS, LWA_REGIONS, type LwaRegion } from './defaults';
import { OperationsDashboard } from './operations-dashboard';
import { SellerAuthorizationApi, type SellerAuthorizationApiOptions } from './seller-authorization-api';
import { TokenRefresher, type TokenRefresherOptions } from './token-refresher';
import { TokenStore, type TokenStoreProps } from './token-store';
import { LwaTokenServicePropsError, validateRegions } from './validation';

/** Props of {@link LwaTokenService}: the union of its parts' options. */
export interface LwaTokenServiceProps
  extends TokenStoreProps,
    SellerAuthorizationApiOptions,
    TokenRefresherOptions,
    ClientSecretRotationOptions {
  /**
   * SNS topic every alarm of the service notifies, on ALARM and back to OK: tokens expired,
   * unpersisted rotations, the refresher's dead-letter queue, falling behind and not running,
   * callback 5xx, and any alarm added later with {@link LwaTokenService.addAlarm}.
   * @default - the alarms notify nobody
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * ARN of an existing SNS topic for the alarms, for apps that configure the service from context
   * (`-c alarmTopicArn=…`). Give either this or `alarmTopic`, not both.
   * @default - `alarmTopic`
   */
  readonly alarmTopicArn?: string;
  /**
   * Create the operator's CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Run the client-secret rotation here: the notification queue, the rotation function and the
   * client-secret alarms. The client secret is one per application, so with one deployment per
   * AWS region only the deployment that owns the primary app secret rotates it; the others read
   * its replica and set this to false (they keep the alarm on rejected app credentials).
   * @default true
   */
  readonly rotateClientSecret?: boolean;
}

/**
 * Login with Amazon token management for Selling Partner API sellers: the
 * authorization endpoints, the token store and the scheduled refresher.
 * Other Lambdas read tokens through {@link grantReadTokens}.
 */
export class LwaTokenService extends Construct {
  /** Key, tables, app secret and token-secret naming. */
  public readonly tokenStore: TokenStore;
  /** `GET /authorize`, `/login` and `/callback`. */
  public readonly authorizationApi: SellerAuthorizationApi;
  /** The scheduled refresh function and its dead-letter queue. */
  public readonly refresher: TokenRefresher;
  /** The client-secret notification queue, the rotation function and the client-secret alarms, unless `rotateClientSecret` is false. */
  public readonly clientSecretRotation?: ClientSecretRotation;
  /** Customer managed key of the token secrets and tables. */
  public readonly encryptionKey: kms.Key;
  /** The sellers table (created or existing). */
  public readonly sellerTable: dynamodb.ITable;
  /** The app credentials secret (created or imported). */
  public readonly appSecret: secretsmanager.ISecret;
  /** Prefix of the token secrets. */
  public readonly tokenSecretPrefix: string;
  /** Dead-letter queue depth of the refresher; alarm on `>= 1`. */
  public readonly refreshDeadLetterMetric: cloudwatch.Metric;
  /** The operator's dashboard, unless disabled. */
  public readonly operationsDashboard?: OperationsDashboard;
  /** The topic the alarms notify, when given. */
  public readonly alarmTopic?: sns.ITopic;
  /** The SP-API regions this service authorizes and refreshes (`refreshRegions`). */
  public readonly servedRegions: LwaRegion[];
  private readonly serviceAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: LwaTokenServiceProps = {}) {
    super(scope, id);

    // One bus for every event; `reauthEventBus` is the older name of the same setting.
    const eventBus = props.eventBus ?? props.reauthEventBus;
    this.tokenStore = new TokenStore(this, 'Store', props);
    this.authorizationApi = new SellerAuthorizationApi(this, 'AuthorizationApi', {
      ...props,
      eventBus,
      tokenStore: this.tokenStore,
      servedRegions: props.refreshRegions,
    });
    this.refresher = new TokenRefresher(this, 'Refresher', {
      ...props,
      eventBus,
      tokenStore: this.tokenStore,
      authorizeUrl: this.authorizationApi.authorizeUrl,
    });
    if (props.rotateClientSecret ?? true) {
      this.clientSecretRotation = new ClientSecretRotation(this, 'ClientSecretRotation', {
        ...props,
        tokenStore: this.tokenStore,
        eventBus,
      });
    }
    if (props.alarmTopic && props.alarmTopicArn !== undefined) {
      throw new LwaTokenServicePropsError(
        this,
        'Pass either alarmTopic or alarmTopicArn, not both: they name the one topic every alarm notifies.',
      );
    }
    this.alarmTopic =
      props.alarmTopic ??
      (props.alarmTopicArn !== undefined
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : undefined);
    for (const alarm of [
      this.refresher.tokensExpiredAlarm,
      this.refresher.unpersistedRotationsAlarm,
      this.refresher.deadLetterAlarm,
      this.refresher.refreshBehindAlarm,
      this.refresher.notRunningAlarm,
      this.authorizationApi.callbackServerErrorAlarm,
      this.clientSecretRotation?.appCredentialFaultsAlarm ?? createAppCredentialFaultsAlarm(this).alarm,
      this.clientSecretRotation?.clientSecretExpiringAlarm,
      this.clientSecretRotation?.notificationDeadLetterAlarm,
    ]) {
      if (alarm) this.addAlarm(alarm);
    }
    if (props.dashboard ?? true) {
      this.operationsDashboard = new OperationsDashboard(this, 'Operations', {
        refresher: this.refresher,
        authorizationApi: this.authorizationApi,
      });
    }

    this.encryptionKey = this.tokenStore.encryptionKey;
    this.sellerTable = this.tokenStore.sellerTable;
    this.appSecret = this.tokenStore.appSecret;
    this.tokenSecretPrefix = this.tokenStore.tokenSecretPrefix;
    this.refreshDeadLetterMetric = this.refresher.refreshDeadLetterMetric;
    this.servedRegions = validateRegions(this, props.refreshRegions ?? DEFAULTS.refreshRegions);
  }

  /** Every alarm of the service, including those added with {@link addAlarm}. */
  public get alarms(): cloudwatch.Alarm[] {
    return [...this.serviceAlarms];
  }

  /**
   * Adds an alarm to the service's list, notifying {@link alarmTopic} (when given) on ALARM and
   * on OK. Other constructs of the service (and your own) attach their alarms here.
   */
  public addAlarm(alarm: cloudwatch.Alarm): void {
    this.serviceAlarms.push(alarm);
    if (this.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(this.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /**
   * Lets `grantee` read seller and grantless tokens: `secretsmanager:GetSecretValue`
   * on `<prefix>/*` and `kms:Decrypt` on the key through Secrets Manager for
   * those secrets only. Nothing on the app credentials secret, so token readers
   * never see the client secret. A `lambda.Function` also gets
   * `TOKEN_SECRET_PREFIX` in its environment for the token client.
   *
   * When this service's stack has a concrete AWS region (one stack per region), the function also
   * gets `TOKEN_SECRET_REGIONS`, this service's SP-API regions mapped to that AWS region, merged
   * with what the other regions' services granted it, so the token client reads each seller's
   * secret in the right region. A grantee in a stack of another environment (another region, or an
   * explicit account) gets the same statements with the region named literally, since CloudFormation
   * cannot reference across environments: the key as `key/*` of that region, still only through
   * its Secrets Manager and only for token secrets.
   */
  public grantReadTokens(grantee: iam.IGrantable): iam.Grant {
    const serviceStack = Stack.of(this);
    const awsRegion = serviceStack.region;
    // An environment-agnostic stack does not know its region: the token client uses the SDK's.
    if (Token.isUnresolved(awsRegion)) {
      if (grantee instanceof lambda.Function) {
        grantee.addEnvironment('TOKEN_SECRET_PREFIX', this.tokenSecretPrefix);
      }
      return this.tokenStore.grantReadTokens(grantee);
    }
    if (grantee instanceof lambda.Function) {
      addTokenSecretRegions(grantee, this, awsRegion);
    }
    const granteeStack = Construct.isConstruct(grantee) ? Stack.of(grantee) : serviceStack;
    // CloudFormation references only work within one environment (account and region).
    if (granteeStack === serviceStack || granteeStack.environment === serviceStack.environment) {
      return this.tokenStore.grantReadTokens(grantee);
    }
    return this.tokenStore.grantReadTokensAcrossRegions(grantee, awsRegion);
  }
}

/** What the services granted one function: its `TOKEN_SECRET_REGIONS` entries and the prefix they share. */
interface TokenSecretRegions {
  readonly prefix: string;
  readonly byRegion: Map<LwaRegion, { awsRegion: string; service: LwaTokenService }>;
}

const tokenSecretRegionsByFunction = new WeakMap<lambda.Function, TokenSecretRegions>();

/**
 * Adds `service`'s SP-API regions, mapped to its AWS region, to the function's
 * `TOKEN_SECRET_REGIONS`. The variable is one Lazy value per function, rendered at synth, so every
 * regional service's grant lands in it whatever the order of the grants.
 */
function addTokenSecretRegions(fn: lambda.Function, service: LwaTokenService, awsRegion: string): void {
  let entry = tokenSecretRegionsByFunction.get(fn);
  if (entry === undefined) {
    entry = { prefix: service.tokenSecretPrefix, byRegion: new Map() };
    tokenSecretRegionsByFunction.set(fn, entry);
    const byRegion = entry.byRegion;
    fn.addEnvironment('TOKEN_SECRET_PREFIX', service.tokenSecretPrefix);
    fn.addEnvironment(
      'TOKEN_SECRET_REGIONS',
      Lazy.string({
        produce: () =>
          JSON.stringify(
            Object.fromEntries(
              LWA_REGIONS.filter((region) => byRegion.has(region)).map((region) => [
                region,
                byRegion.get(region)?.awsRegion,
              ]),
            ),
          ),
      }),
    );
  } else if (entry.prefix !== service.tokenSecretPrefix) {
    throw new LwaTokenServicePropsError(
      service,
      `${fn.node.path} already reads tokens under the prefix "${entry.prefix}", and the token client reads one TOKEN_SECRET_PREFIX; give every regional service the same tokenSecretPrefix.`,
    );
  }
  for (const region of service.servedRegions) {
    const claimed = entry.byRegion.get(region);
    if (claimed !== undefined && claimed.service !== service) {
      throw new LwaTokenServicePropsError(
        service,
        `${fn.node.path} already reads ${region} tokens from ${claimed.service.node.path} in ${claimed.awsRegion}; each SP-API region must come from one service. Serve ${region} from one stack only (refreshRegions, or the deployments context).`,
      );
    }
    entry.byRegion.set(region, { awsRegion, service });
  }
}
