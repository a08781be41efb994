import { App, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { LwaTokenStack } from '../../lib/lwa-token-stack';
import {
  actionsOf,
  flatten,
  normalizeAssetHashes,
  onlyResource,
  policyStatements,
  readValidationReport,
  resourcesOf,
  statementsOfRole,
  templateOf,
} from './helpers';

// One bundled synth of the default stack, with both nag packs, shared by every test here.
let app: App;
let stack: LwaTokenStack;
let assembly: CloudAssembly;
let template: Template;

beforeAll(() => {
  app = new App();
  stack = new LwaTokenStack(app, 'LwaTokenStack');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  assembly = app.synth();
  template = templateOf(stack);
});

const TOKEN_SECRET_PATTERN =
  'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:lwa-tokens/*';

describe('snapshot', () => {
  test('template matches the snapshot (asset hashes normalised)', () => {
    expect(normalizeAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('cdk-nag', () => {
  test('AwsSolutions and Serverless report no unacknowledged findings, warnings included', () => {
    const report = readValidationReport(assembly);
    const findings = report.pluginReports.flatMap((plugin) =>
      plugin.violations.map(
        (violation) => `${plugin.pluginName}: ${violation.ruleName} (${violation.severity})`,
      ),
    );
    expect(findings).toEqual([]);
  });

  test.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['Serverless', () => new ServerlessChecks()],
  ])('%s pack run directly over the app finds nothing', (_name, pack) => {
    const result = pack().validateScope(app);
    expect(result.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(result.success).toBe(true);
  });
});

describe('KMS', () => {
  test('one customer managed key with rotation, retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('DynamoDB', () => {
  test('sellers table has the contract keys, byRegion GSI, on-demand, PITR, CMK, retention and deletion protection', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'sellerId', KeyType: 'HASH' },
          { AttributeName: 'region', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'sellerId', AttributeType: 'S' },
          { AttributeName: 'region', AttributeType: 'S' },
          { AttributeName: 'nextRefreshAt', AttributeType: 'N' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byRegion',
            KeySchema: [
              { AttributeName: 'region', KeyType: 'HASH' },
              { AttributeName: 'nextRefreshAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('state table: pk, TTL on expiresAt, on-demand, PITR, CMK', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
  });

  test('no table has a physical name', () => {
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.TableName).toBeUndefined();
    }
  });
});

describe('app credentials secret', () => {
  test('created with the placeholder and encrypted with the CMK', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secret = onlyResource(template, 'AWS::SecretsManager::Secret');
    expect(JSON.parse(secret.Properties.SecretString)).toEqual({
      clientId: 'REPLACE_ME',
      clientSecret: 'REPLACE_ME',
      applicationId: 'REPLACE_ME',
      draft: false,
    });
    expect(flatten(secret.Properties.KmsKeyId)).toMatch(/^<LwaTokenServiceStoreKey[0-9A-F]+\.Arn>$/);
  });
});

describe('Lambda functions', () => {
  const functions = () => Object.entries(template.findResources('AWS::Lambda::Function'));

  test('five functions: nodejs24.x on arm64, tracing active, explicit log group with retention, no names', () => {
    expect(functions()).toHaveLength(5);
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const [, fn] of functions()) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.FunctionName).toBeUndefined();
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(logGroups[logGroupId]?.Properties.RetentionInDays).toBe(90);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'lwa-token-service',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  test('auth functions: 256 MB, 28 s; refresh: 512 MB, 5 minutes, reserved concurrency 1; rotation: 256 MB, 30 s', () => {
    const byDescription = Object.fromEntries(
      functions().map(([, fn]) => [fn.Properties.Description as string, fn.Properties]),
    );
    for (const route of ['authorize', 'login', 'callback']) {
      expect(byDescription[`LWA token service: GET /${route}`]).toMatchObject({
        MemorySize: 256,
        Timeout: 28,
      });
    }
    expect(byDescription['LWA token service: refreshes access tokens that expire soon']).toMatchObject({
      MemorySize: 512,
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
    });
    expect(
      byDescription['LWA token service: rotates the LWA client secret on SP-API notifications'],
    ).toMatchObject({ MemorySize: 256, Timeout: 30 });
  });

  test('environment contract of each handler', () => {
    const envOf = (description: string) =>
      functions().find(([, fn]) => fn.Properties.Description === description)?.[1].Properties.Environment
        .Variables;
    const lwaEndpoints = JSON.stringify({
      NA: 'https://api.amazon.com',
      EU: 'https://api.amazon.co.uk',
      FE: 'https://api.amazon.co.jp',
    });

    const authorize = envOf('LWA token service: GET /authorize');
    expect(Object.keys(authorize).sort()).toEqual(
      ['APPLICATION_DRAFT', 'NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_NAMESPACE']
        .concat(['POWERTOOLS_SERVICE_NAME', 'STATE_TABLE_NAME'])
        .sort(),
    );
    const login = envOf('LWA token service: GET /login');
    expect(login.LOGIN_ALLOWED_HOSTS).toBeUndefined();
    expect(login.STATE_TABLE_NAME).toBeDefined();

    expect(envOf('LWA token service: GET /callback')).toMatchObject({
      STATE_TABLE_NAME: expect.anything(),
      SELLER_TABLE_NAME: expect.anything(),
      APP_SECRET_ID: expect.anything(),
      TOKEN_SECRET_PREFIX: 'lwa-tokens',
      LWA_ENDPOINTS: lwaEndpoints,
      TOKEN_KMS_KEY_ID: expect.anything(),
      REFRESH_LEAD_SECONDS: '600',
    });
    expect(envOf('LWA token service: refreshes access tokens that expire soon')).toMatchObject({
      SELLER_TABLE_NAME: expect.anything(),
      APP_SECRET_ID: expect.anything(),
      TOKEN_SECRET_PREFIX: 'lwa-tokens',
      LWA_ENDPOINTS: lwaEndpoints,
      TOKEN_KMS_KEY_ID: expect.anything(),
      REFRESH_LEAD_SECONDS: '600',
      REFRESH_REGIONS: 'NA,EU,FE',
      SECRETS_WRITES_PER_SECOND: '20',
      REFRESH_CONCURRENCY: '8',
      LWA_MAX_CONCURRENCY: '8',
      LEASE_SECONDS: '360',
      EVENT_BUS_NAME: 'default',
    });
  });

  test('TOKEN_KMS_KEY_ID is the CMK ARN', () => {
    for (const [, fn] of functions()) {
      const keyId = fn.Properties.Environment.Variables.TOKEN_KMS_KEY_ID;
      if (keyId !== undefined) expect(flatten(keyId)).toMatch(/^<LwaTokenServiceStoreKey[0-9A-F]+\.Arn>$/);
    }
  });

  test('refresh failures go to the dead-letter queue without retries', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 360,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });
});

describe('API Gateway', () => {
  test('GET /authorize, /login and /callback as Lambda proxy integrations, no authorizer', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(3);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        HttpMethod: 'GET',
        AuthorizationType: 'NONE',
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
    }
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (resource) => resource.Properties.PathPart,
    );
    expect(paths.sort()).toEqual(['authorize', 'callback', 'login']);
  });

  test('stage prod: throttled, X-Ray off (query strings stay out of traces), JSON access log, execution logging off', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: false,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 10,
          ThrottlingBurstLimit: 20,
        }),
        // Per-method metrics for the callback's alarm and dashboard only.
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1callback', MetricsEnabled: true }),
      ]),
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    const stage = onlyResource(template, 'AWS::ApiGateway::Stage');
    for (const setting of stage.Properties.MethodSettings ?? []) {
      expect(setting.LoggingLevel).toBeUndefined();
      expect(setting.DataTraceEnabled).not.toBe(true);
    }
  });

  test('access log format is JSON and never records the query string', () => {
    const stage = onlyResource(template, 'AWS::ApiGateway::Stage');
    const format = stage.Properties.AccessLogSetting.Format as string;
    const fields = JSON.parse(format) as Record<string, string>;
    expect(fields).toMatchObject({ resourcePath: '$context.resourcePath', status: '$context.status' });
    expect(format).not.toMatch(/querystring|requestOverride|\$input|\$request|\$context\.path\b/i);
  });

  test('access log group has a retention', () => {
    const stage = onlyResource(template, 'AWS::ApiGateway::Stage');
    const logGroupId = (
      stage.Properties.AccessLogSetting.DestinationArn['Fn::GetAtt'] as string[]
    )[0] as string;
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(90);
  });

  test('/login validates its required query parameters; /authorize requires none (region or marketplace)', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
    const required = Object.values(template.findResources('AWS::ApiGateway::Method')).flatMap((method) =>
      Object.keys(method.Properties.RequestParameters ?? {}),
    );
    expect(required).not.toContain('method.request.querystring.region');
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: {
        'method.request.querystring.amazon_callback_uri': true,
        'method.request.querystring.amazon_state': true,
      },
    });
  });

  test('gateway error responses carry no-store and no-referrer', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Cache-Control': "'no-store'",
          'gatewayresponse.header.Referrer-Policy': "'no-referrer'",
        },
      });
    }
  });

  test('no account-level CloudWatch role is created', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('EventBridge Scheduler', () => {
  test('rate(1 minute), no flexible window, retry policy and DLQ on the target', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: Match.anyValue(),
        RoleArn: Match.anyValue(),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      },
    });
  });

  test('dead-letter queue: encrypted, TLS only, 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('alarm on visible dead-letter messages', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('alarm when most runs of 15 minutes hit their time budget (the refresher is falling behind)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LwaTokenService',
      MetricName: 'RunBudgetExhausted',
      Dimensions: [{ Name: 'service', Value: 'refresher' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 4,
      EvaluationPeriods: 3,
    });
  });

  test('the scheduler role may only invoke the unqualified refresh function and send to the DLQ', () => {
    const statements = statementsOfRole(template, 'LwaTokenServiceRefresherScheduleRole');
    expect(statements.map((s) => [actionsOf(s), resourcesOf(s).map(flatten)])).toEqual([
      [
        ['lambda:InvokeFunction'],
        [expect.stringMatching(/^<LwaTokenServiceRefresherRefreshHandlerFunction\w+\.Arn>$/)],
      ],
      [['sqs:SendMessage'], [expect.stringMatching(/^<LwaTokenServiceRefresherDeadLetterQueue\w+\.Arn>$/)]],
    ]);
  });
});

describe('IAM', () => {
  const sensitive = /^(secretsmanager|kms|dynamodb):/;

  test('no secretsmanager, kms or dynamodb action is allowed on Resource "*" or as a wildcard action', () => {
    const offenders = policyStatements(template).filter(({ statement }) => {
      const actions = actionsOf(statement).filter((action) => sensitive.test(action));
      return (
        actions.length > 0 && (resourcesOf(statement).includes('*') || actions.some((a) => a.includes('*')))
      );
    });
    expect(offenders).toEqual([]);
  });

  test('secretsmanager statements target the token-secret prefix or the app secret only', () => {
    for (const { statement } of policyStatements(template)) {
      if (!actionsOf(statement).some((action) => action.startsWith('secretsmanager:'))) continue;
      for (const resource of resourcesOf(statement).map(flatten)) {
        expect([TOKEN_SECRET_PATTERN, 'app secret']).toContain(
          /^<LwaTokenServiceStoreAppSecret\w+>$/.test(resource) ? 'app secret' : resource,
        );
      }
      if (resourcesOf(statement).map(flatten).includes(TOKEN_SECRET_PATTERN)) {
        expect(actionsOf(statement).every((action) => action.startsWith('secretsmanager:'))).toBe(true);
      }
    }
  });

  test('every kms statement is on the CMK and goes through Secrets Manager or DynamoDB', () => {
    const kmsStatements = policyStatements(template).filter(({ statement }) =>
      actionsOf(statement).some((action) => action.startsWith('kms:')),
    );
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const { statement } of kmsStatements) {
      expect(resourcesOf(statement).map(flatten)).toEqual([
        expect.stringMatching(/^<LwaTokenServiceStoreKey\w+\.Arn>$/),
      ]);
      const viaService = flatten(statement.Condition?.StringEquals?.['kms:ViaService']);
      expect(viaService).toMatch(/^(secretsmanager|dynamodb)\.<AWS::Region>\.amazonaws\.com$/);
      if (viaService.startsWith('secretsmanager.')) {
        const context =
          statement.Condition?.StringLike?.['kms:EncryptionContext:SecretARN'] ??
          statement.Condition?.StringEquals?.['kms:EncryptionContext:SecretARN'];
        expect(context).toBeDefined();
      }
    }
  });

  test('callback and refresh may write token secrets; authorize and login may not', () => {
    const writes = (rolePrefix: string) =>
      statementsOfRole(template, rolePrefix).filter(
        (statement) =>
          actionsOf(statement).includes('secretsmanager:PutSecretValue') &&
          resourcesOf(statement).map(flatten).includes(TOKEN_SECRET_PATTERN),
      );
    expect(writes('LwaTokenServiceAuthorizationApiCallbackHandlerRole')).toHaveLength(1);
    expect(writes('LwaTokenServiceRefresherRefreshHandlerRole')).toHaveLength(1);
    for (const role of [
      'LwaTokenServiceAuthorizationApiAuthorizeHandlerRole',
      'LwaTokenServiceAuthorizationApiLoginHandlerRole',
    ]) {
      const secretStatements = statementsOfRole(template, role).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
      );
      // Not even the app secret: they need only the public application id, from their environment.
      expect(secretStatements).toEqual([]);
    }
  });

  test('the refresher queries the byRegion index by name, not index/*', () => {
    const statements = statementsOfRole(template, 'LwaTokenServiceRefresherRefreshHandlerRole');
    const query = statements.find((statement) => actionsOf(statement).includes('dynamodb:Query'));
    expect(resourcesOf(query as never).map(flatten)).toEqual([
      expect.stringMatching(/^<LwaTokenServiceStoreSellerTable\w+\.Arn>\/index\/byRegion$/),
    ]);
  });

  test('functions use their own roles, without managed policies', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('outputs', () => {
  test('API, authorize, login and callback URLs, app secret ARN, notification queue ARN, seller and state table names', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ApiUrl',
        'AppSecretArn',
        'AuthorizeUrl',
        'CallbackUrl',
        'LoginUrl',
        'NotificationQueueArn',
        'SellerTableName',
        'StateTableName',
        'TokenKmsKeyArn',
        'TokenSecretPrefix',
      ].sort(),
    );
    expect(flatten(outputs.CallbackUrl?.Value)).toMatch(/\/<\w+DeploymentStageprod\w+>\/callback$/);
    expect(flatten(outputs.AuthorizeUrl?.Value)).toMatch(/\/<\w+DeploymentStageprod\w+>\/authorize$/);
    // The lwa-tokens rotation commands read the state table from --stack.
    const stateTables = template.findResources('AWS::DynamoDB::Table', {
      Properties: { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    });
    expect(outputs.StateTableName?.Value).toEqual({ Ref: Object.keys(stateTables)[0] });
    expect(Object.keys(stateTables)).toHaveLength(1);
  });
});
