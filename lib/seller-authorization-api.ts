import { Duration, Names } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { LwaTokenCommonProps } from './common-props';
import { DEFAULTS, LWA_REGIONS, type LwaRegion } from './defaults';
import type { HandlerBundleName } from './handler-bundles';
import { grantPutLifecycleEvents } from './lifecycle-events';
import { acknowledge } from './nag';
import { ServiceFunction } from './service-function';
import type { TokenStore } from './token-store';
import {
  LwaTokenServicePropsError,
  resolveLwaEndpoints,
  validateApplicationId,
  validateIntegerInRange,
  validateLoginHosts,
  validateRedirectUri,
  validateRefreshLead,
  validateRegions,
  validateSellerCentralUrls,
} from './validation';

/** Options of {@link SellerAuthorizationApi} that the main construct passes through. */
export interface SellerAuthorizationApiOptions extends LwaTokenCommonProps {
  /**
   * Seller Central base URL per region for the consent redirect of
   * `/authorize?region=…`, overriding the handler's built-in table (sets
   * `SELLER_CENTRAL_URLS`). `/authorize?marketplace=…` always uses Amazon's
   * published consent host of the marketplace.
   * @default - the handler's defaults
   */
  readonly sellerCentralUrls?: { [region: string]: string };
  /**
   * Seller Central hosts (`host` or `host:port`) that may start `/login`,
   * each with the region its sellers authorize in. Replaces the handler's
   * allow-list of Amazon hosts (sets `LOGIN_ALLOWED_HOSTS`), so include every
   * host you still need.
   * @default - every Seller Central and Vendor Central consent host of the handler's marketplace table
   */
  readonly loginAllowedHosts?: { [host: string]: LwaRegion };
  /**
   * The `redirect_uri` sent to LWA and Seller Central, for a custom domain in
   * front of the API (sets `REDIRECT_URI`). It must be the callback route.
   * @default - derived by the handlers from the API Gateway request
   */
  readonly redirectUri?: string;
  /**
   * The SP-API application id (`amzn1.sp.solution.…`) that the consent URLs of `/authorize` and
   * `/login` name (sets `APPLICATION_ID`). It is public, shown in every consent URL, so it is
   * deployed as configuration: those two functions get no access to the app secret, whose
   * `applicationId` field stays as the contract defines it.
   * @default - none: `/authorize` and `/login` answer 503 until a deployment sets it
   */
  readonly applicationId?: string;
  /**
   * The application is still a draft: consent URLs carry `version=beta` (sets `APPLICATION_DRAFT`).
   * Set it to false, and deploy, when the application is published.
   * @default false
   */
  readonly draftApplication?: boolean;
  /**
   * Steady-state requests per second for every method of the stage.
   * @default 10
   */
  readonly apiThrottlingRateLimit?: number;
  /**
   * Burst limit for every method of the stage.
   * @default 20
   */
  readonly apiThrottlingBurstLimit?: number;
  /**
   * ARN of a regional WAFv2 web ACL to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Creates a regional WAFv2 web ACL with one rate-based rule that blocks a client IP sending more
   * than this many requests in any 5 minutes, and associates it with the stage. It costs about
   * USD 6 a month (web ACL and rule) plus USD 0.60 per million requests. Integer, 10 to
   * 2,000,000,000. Mutually exclusive with `webAclArn`.
   * @default - no web ACL is created
   */
  readonly rateLimitPerIp?: number;
  /**
   * Adds `POST /device/authorizations` and `GET /device/authorizations/{id}`: the LWA device flow
   * run on behalf of devices that cannot hold client credentials. Approved accounts are stored
   * like sellers (`kind = device`) and kept fresh by the refresher. The routes are public (anyone
   * can start a flow; only the person who approves it gets an account stored), so they are off
   * unless you need them.
   * @default false
   */
  readonly deviceAuthorizationApi?: boolean;
}

/** Props of {@link SellerAuthorizationApi}. */
export interface SellerAuthorizationApiProps extends SellerAuthorizationApiOptions {
  /** Tables, secrets and key the handlers use. */
  readonly tokenStore: TokenStore;
  /**
   * The regions whose sellers (and device accounts) the routes authorize: the regions the
   * refresher keeps fresh, because a token stored for any other region would never be refreshed.
   * The routes answer 400 for the others (sets `SERVED_REGIONS` when it is not every region).
   * @default - every region
   */
  readonly servedRegions?: LwaRegion[];
}

/**
 * The public OAuth endpoints of the SP-API website authorization workflow:
 * `GET /authorize`, `GET /login` and `GET /callback` on a REST API stage.
 */
export class SellerAuthorizationApi extends Construct {
  /** The REST API. */
  public readonly api: apigw.RestApi;
  /** Access log group of the stage. */
  public readonly accessLogGroup: logs.LogGroup;
  /** Handler of `GET /authorize`. */
  public readonly authorizeFunction: lambda.Function;
  /** Handler of `GET /login`. */
  public readonly loginFunction: lambda.Function;
  /** Handler of `GET /callback`. */
  public readonly callbackFunction: lambda.Function;
  /** URL that starts a seller authorization (`?region=NA|EU|FE`). */
  public readonly authorizeUrl: string;
  /** OAuth login URI to register in the Seller Central developer console. */
  public readonly loginUrl: string;
  /** OAuth redirect URI to register in the Seller Central developer console. */
  public readonly callbackUrl: string;
  /** Handler of the device authorization routes, when enabled. */
  public readonly deviceFunction?: lambda.Function;
  /** `POST` here starts a device authorization, when enabled. */
  public readonly deviceAuthorizationsUrl?: string;
  /** The bus the callback puts `Seller authorized` / `Seller reauthorized` on. */
  public readonly eventBus: events.IEventBus;
  /** Fires when `GET /callback` answered any 5xx. */
  public readonly callbackServerErrorAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SellerAuthorizationApiProps) {
    super(scope, id);

    const store = props.tokenStore;
    const lwaEndpoints = resolveLwaEndpoints(this, props.lwaEndpoints);
    const leadSeconds = validateRefreshLead(this, props.refreshLead ?? DEFAULTS.refreshLead);
    const rateLimit = props.apiThrottlingRateLimit ?? DEFAULTS.apiThrottlingRateLimit;
    const burstLimit = props.apiThrottlingBurstLimit ?? DEFAULTS.apiThrottlingBurstLimit;
    validateIntegerInRange(this, 'apiThrottlingRateLimit', rateLimit, 1, 10_000);
    validateIntegerInRange(this, 'apiThrottlingBurstLimit', burstLimit, 1, 5_000);
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;
    const servedRegions = validateRegions(this, props.servedRegions ?? [...LWA_REGIONS]);
    // Unset means every region, which keeps a default deployment's functions as they were.
    const servedEnv: Record<string, string> =
      servedRegions.length === LWA_REGIONS.length ? {} : { SERVED_REGIONS: servedRegions.join(',') };

    // What the consent URLs name; public, so configuration rather than a read of the app secret.
    const listingEnv: Record<string, string> = {
      APPLICATION_DRAFT: String(props.draftApplication ?? false),
      ...(props.applicationId === undefined
        ? {}
        : { APPLICATION_ID: validateApplicationId(this, props.applicationId) }),
    };
    const authorizeEnv: Record<string, string> = {
      STATE_TABLE_NAME: store.stateTable.tableName,
      ...listingEnv,
      ...servedEnv,
    };
    if (props.sellerCentralUrls !== undefined) {
      authorizeEnv.SELLER_CENTRAL_URLS = JSON.stringify(
        validateSellerCentralUrls(this, props.sellerCentralUrls),
      );
    }
    const loginEnv: Record<string, string> = {
      STATE_TABLE_NAME: store.stateTable.tableName,
      ...listingEnv,
      ...servedEnv,
    };
    if (props.loginAllowedHosts !== undefined) {
      loginEnv.LOGIN_ALLOWED_HOSTS = validateLoginHosts(this, props.loginAllowedHosts);
    }
    const callbackEnv: Record<string, string> = {
      STATE_TABLE_NAME: store.stateTable.tableName,
      SELLER_TABLE_NAME: store.sellerTable.tableName,
      APP_SECRET_ID: store.appSecretId,
      TOKEN_SECRET_PREFIX: store.tokenSecretPrefix,
      LWA_ENDPOINTS: JSON.stringify(lwaEndpoints),
      TOKEN_KMS_KEY_ID: store.encryptionKey.keyArn,
      REFRESH_LEAD_SECONDS: String(leadSeconds),
      ...servedEnv,
    };
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    callbackEnv.EVENT_BUS_NAME = this.eventBus.eventBusName;
    if (props.redirectUri !== undefined) {
      loginEnv.REDIRECT_URI = validateRedirectUri(this, props.redirectUri);
      callbackEnv.REDIRECT_URI = loginEnv.REDIRECT_URI;
      // /authorize names its callback in the consent URL only when it serves some regions.
      if (servedEnv.SERVED_REGIONS !== undefined) authorizeEnv.REDIRECT_URI = loginEnv.REDIRECT_URI;
    }

    const authorize = this.createHandler('Authorize', 'authorize', authorizeEnv, logRetention);
    const login = this.createHandler('Login', 'login', loginEnv, logRetention);
    const callback = this.createHandler('Callback', 'callback', callbackEnv, logRetention);
    this.authorizeFunction = authorize.lambdaFunction;
    this.loginFunction = login.lambdaFunction;
    this.callbackFunction = callback.lambdaFunction;

    for (const handler of [authorize, login]) {
      store.grantStateTable(handler.role, ['dynamodb:PutItem']);
    }
    store.grantReadAppSecret(callback.role);
    store.grantStateTable(callback.role, ['dynamodb:DeleteItem', 'dynamodb:GetItem']);
    store.grantSellerTable(callback.role, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // Write-only: the one read the callback's code could make (keeping a stored refresh token
    // when a re-authorization brings none) is answered from the sellers table instead.
    store.grantWriteTokens(callback.role, ['sellerId', 'region']);
    grantPutLifecycleEvents(this.eventBus, callback.role);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention });
    this.api = new apigw.RestApi(this, 'Api', {
      // API Gateway's metrics are keyed by ApiName: a name unique to this construct path keeps two
      // deployments in one account from sharing the callback alarm (API names need not be unique).
      restApiName: Names.uniqueResourceName(this, { maxLength: 128 }),
      description: 'Login with Amazon website authorization workflow for Selling Partner API sellers',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: DEFAULTS.apiStageName,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        // X-Ray segments of the stage record the request URL with its query string, which carries
        // the authorization code (/callback) and the OAuth state (/login). The functions still trace.
        tracingEnabled: false,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        // Per-method metrics for the callback only: its outcomes are what the alarm and the
        // dashboard show, and the other routes do not need the extra custom metrics.
        methodOptions: { '/callback/GET': { metricsEnabled: true } },
      },
    });
    // TLS 1.2 and 1.3 only, with forward secrecy. An enhanced policy needs an endpoint access mode;
    // BASIC keeps a custom domain or CloudFront in front working (STRICT matches the SNI host).
    const cfnApi = this.api.node.defaultChild as apigw.CfnRestApi;
    cfnApi.securityPolicy = 'SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09';
    cfnApi.endpointAccessMode = 'BASIC';
    // The stack outputs the URLs under stable names; the RestApi's own
    // generated `Endpoint` output would only duplicate them.
    this.api.node.tryRemoveChild('Endpoint');
    acknowledge(
      this.api.deploymentStage,
      'Serverless-APIGWXrayEnabled',
      'Stage traces would record the /callback and /login query strings (authorization code, OAuth state); the functions behind every route are traced instead.',
    );
    acknowledge(
      this.api.deploymentStage,
      'AwsSolutions-APIG6',
      'Execution logs would record the callback query string, which carries the one-time authorization code; JSON access logs without query strings are kept instead.',
    );

    // API Gateway's own 4xx/5xx answers (validation, throttling) get the same
    // caching and referrer headers the handlers set on theirs.
    for (const [gatewayId, type] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(gatewayId, {
        type,
        responseHeaders: { 'Cache-Control': "'no-store'", 'Referrer-Policy': "'no-referrer'" },
      });
    }

    // GET routes have no body model, so body validation is a no-op kept for nag's APIG2 check.
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    // Not validated: `/authorize` takes `region` or `marketplace`, which a required-parameter
    // list cannot say; the handler answers either omission with its own page.
    this.addRoute('authorize', authorize, undefined, []);
    this.addRoute('login', login, validator, ['amazon_callback_uri', 'amazon_state']);
    // Not validated: the consent page can come back with only `error=access_denied`,
    // and the handler must answer that with its own page.
    this.addRoute('callback', callback, undefined, []);

    if (props.rateLimitPerIp !== undefined && props.webAclArn !== undefined) {
      throw new LwaTokenServicePropsError(
        this,
        'Pass either rateLimitPerIp or webAclArn, not both: a stage takes one web ACL. Add a rate-based rule to your own web ACL instead.',
      );
    }
    const webAclArn =
      props.rateLimitPerIp === undefined ? props.webAclArn : this.createRateLimitWebAcl(props.rateLimitPerIp);
    if (webAclArn !== undefined) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn,
      });
    } else {
      acknowledge(
        this.api,
        'AwsSolutions-APIG3',
        'No web ACL by default (pass rateLimitPerIp or webAclArn for one): every method is throttled per stage. /authorize and /login each write one state item per request (expired by TTL); /callback writes only after a valid single-use state and a code LWA accepts.',
      );
    }

    if (props.deviceAuthorizationApi ?? false) {
      const device = new ServiceFunction(this, 'DeviceHandler', {
        bundle: 'device-api',
        description: 'LWA token service: device authorization API',
        memorySize: DEFAULTS.authMemorySize,
        timeout: DEFAULTS.authTimeout,
        environment: {
          STATE_TABLE_NAME: store.stateTable.tableName,
          SELLER_TABLE_NAME: store.sellerTable.tableName,
          APP_SECRET_ID: store.appSecretId,
          TOKEN_SECRET_PREFIX: store.tokenSecretPrefix,
          LWA_ENDPOINTS: JSON.stringify(lwaEndpoints),
          TOKEN_KMS_KEY_ID: store.encryptionKey.keyArn,
          REFRESH_LEAD_SECONDS: String(leadSeconds),
          ...servedEnv,
        },
        logRetention,
      });
      acknowledge(
        device.lambdaFunction,
        'Serverless-LambdaDLQ',
        'Invoked synchronously by API Gateway, so a failure is returned to the caller and there is no event to dead-letter.',
      );
      store.grantReadAppSecret(device.role);
      store.grantStateTable(device.role, ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
      store.grantSellerTable(device.role, ['dynamodb:UpdateItem']);
      store.grantWriteTokens(device.role, ['accountId', 'region']);
      this.deviceFunction = device.lambdaFunction;
      this.addDeviceRoutes(device, validator);
      this.deviceAuthorizationsUrl = this.api.urlForPath('/device/authorizations');
    }

    this.callbackServerErrorAlarm = new cloudwatch.Alarm(this, 'CallbackServerErrorAlarm', {
      alarmDescription:
        'GET /callback answered 5xx: sellers who just consented were not connected (502 is LWA refusing or failing the code exchange, 500/503 our side or the app credentials). Check the callback function logs and the app credentials secret; affected sellers must authorize again from the authorize link.',
      metric: this.metricCallback('5XXError'),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.authorizeUrl = this.api.urlForPath('/authorize');
    this.loginUrl = this.api.urlForPath('/login');
    this.callbackUrl = this.api.urlForPath('/callback');
  }

  /**
   * API Gateway's per-method metric for `GET /callback` (`Count`, `4XXError`, `5XXError`, …),
   * summed per 5 minutes. It counts the 5xx pages the handler answers as well as integration
   * failures, which the function's own Errors metric would miss.
   */
  public metricCallback(metricName: string, period: Duration = Duration.minutes(5)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: {
        ApiName: this.api.restApiName,
        Method: 'GET',
        Resource: '/callback',
        Stage: this.api.deploymentStage.stageName,
      },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }

  /** A web ACL of one per-IP rate-based rule; returns its ARN. */
  private createRateLimitWebAcl(limit: number): string {
    validateIntegerInRange(this, 'rateLimitPerIp', limit, 10, 2_000_000_000);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      // Sampled requests would keep full request URLs, query strings (codes, states) included.
      sampledRequestsEnabled: false,
    });
    const acl = new wafv2.CfnWebACL(this, 'RateLimitWebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('LwaTokenServiceApi'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('LwaTokenServiceApiRateLimitPerIp'),
        },
      ],
    });
    return acl.attrArn;
  }

  private createHandler(
    id: string,
    bundle: HandlerBundleName,
    environment: Record<string, string>,
    logRetention: logs.RetentionDays,
  ): ServiceFunction {
    const handler = new ServiceFunction(this, `${id}Handler`, {
      bundle,
      description: `LWA token service: GET /${id.toLowerCase()}`,
      memorySize: DEFAULTS.authMemorySize,
      timeout: DEFAULTS.authTimeout,
      environment,
      logRetention,
    });
    acknowledge(
      handler.lambdaFunction,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway, so a failure is returned to the caller and there is no event to dead-letter.',
    );
    return handler;
  }

  private addDeviceRoutes(handler: ServiceFunction, validator: apigw.IRequestValidator): void {
    const integration = new apigw.LambdaIntegration(handler.lambdaFunction, { allowTestInvoke: false });
    const startModel = this.api.addModel('DeviceAuthorizationRequest', {
      contentType: 'application/json',
      schema: {
        type: apigw.JsonSchemaType.OBJECT,
        required: ['region', 'scope'],
        properties: {
          region: { type: apigw.JsonSchemaType.STRING, enum: ['NA', 'EU', 'FE'] },
          scope: { type: apigw.JsonSchemaType.STRING, pattern: '^[A-Za-z0-9_:.-]{1,128}$' },
        },
      },
    });
    const authorizations = this.api.root.addResource('device').addResource('authorizations');
    const start = authorizations.addMethod('POST', integration, {
      requestValidator: validator,
      requestModels: { 'application/json': startModel },
    });
    const poll = authorizations.addResource('{id}').addMethod('GET', integration, {
      requestValidator: validator,
      requestParameters: { 'method.request.path.id': true },
    });
    for (const method of [start, poll]) {
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        'Device flow for devices that hold no credentials; the person who approves the user code on Amazon authorizes it.',
      );
      acknowledge(
        method,
        'AwsSolutions-COG4',
        'Device flow for devices that hold no credentials; there is no Cognito user to authorize.',
      );
    }
  }

  private addRoute(
    path: string,
    handler: ServiceFunction,
    validator: apigw.IRequestValidator | undefined,
    requiredQuery: string[],
  ): void {
    const requestParameters = Object.fromEntries(
      requiredQuery.map((name) => [`method.request.querystring.${name}`, true]),
    );
    const method = this.api.root
      .addResource(path)
      .addMethod('GET', new apigw.LambdaIntegration(handler.lambdaFunction, { allowTestInvoke: false }), {
        requestParameters: requiredQuery.length > 0 ? requestParameters : undefined,
        requestValidator: requiredQuery.length > 0 ? validator : undefined,
      });
    acknowledge(
      method,
      'AwsSolutions-APIG4',
      'Public OAuth endpoint reached by a seller browser redirect; the single-use state is the authorization.',
    );
    acknowledge(
      method,
      'AwsSolutions-COG4',
      'Public OAuth endpoint reached by a seller browser redirect; there is no Cognito user to authorize.',
    );
  }
}

/**
 * JSON access log without the query string (it carries the authorization code
 * and state) or request headers; `resourcePath` is the route template.
 */
function accessLogFormat(): apigw.AccessLogFormat {
  const f = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: f.contextRequestId(),
      extendedRequestId: f.contextExtendedRequestId(),
      requestTime: f.contextRequestTime(),
      sourceIp: f.contextIdentitySourceIp(),
      userAgent: f.contextIdentityUserAgent(),
      httpMethod: f.contextHttpMethod(),
      resourcePath: f.contextResourcePath(),
      protocol: f.contextProtocol(),
      status: f.contextStatus(),
      responseLength: f.contextResponseLength(),
      responseLatency: f.contextResponseLatency(),
      integrationStatus: f.contextIntegrationStatus(),
      integrationLatency: f.contextIntegrationLatency(),
      errorMessage: f.contextErrorMessage(),
      xrayTraceId: f.contextXrayTraceId(),
    }),
  );
}
