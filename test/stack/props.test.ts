import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { DEFAULT_CACHE_MARGIN_SECONDS } from '../../lambda/client/token-client';
import { loadRefreshConfig } from '../../lambda/refresh/config';
import {
  AUTHORIZATION_WRITE_RESERVE_MS,
  MAX_LWA_TIMEOUT_MS,
  MIN_LWA_TIMEOUT_MS,
} from '../../lambda/shared/time-budget';
import { DEFAULTS, LwaRegion, TOKEN_CLIENT_CACHE_MARGIN_SECONDS } from '../../lib/defaults';
import { LwaTokenService, type LwaTokenServiceProps } from '../../lib/lwa-token-service';
import { actionsOf, appWithoutBundling, flatten, policyStatements, resourcesOf } from './helpers';

// These tests only look at resources and IAM, so esbuild is skipped to keep them fast.
function synth(props: LwaTokenServiceProps = {}): Template {
  const stack = new Stack(appWithoutBundling(), 'TestStack');
  new LwaTokenService(stack, 'Service', props);
  return Template.fromStack(stack);
}

function build(props: LwaTokenServiceProps): () => void {
  return () => new LwaTokenService(new Stack(appWithoutBundling(), 'TestStack'), 'Service', props);
}

function envOf(template: Template, descriptionSuffix: string): Record<string, unknown> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String(f.Properties.Description).endsWith(descriptionSuffix),
  );
  if (!fn) throw new Error(`no function described as …${descriptionSuffix}`);
  return fn.Properties.Environment.Variables;
}

/** Metric names of the refresher's own alarms (the client-secret alarms live in their own construct). */
function refresherAlarmMetrics(template: Template): string[] {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
    .filter(([logicalId]) => logicalId.startsWith('ServiceRefresher'))
    .map(([, alarm]) => alarm.Properties.MetricName as string);
}

const APP_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lwa/app-credentials-AbCdEf';
const APP_SECRET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('imported app secret (appSecretArn)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ appSecretArn: APP_SECRET_ARN, appSecretKeyArn: APP_SECRET_KEY_ARN });
  });

  test('no secret is created', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('handlers that use the client credentials get the ARN as APP_SECRET_ID; authorize and login do not', () => {
    for (const suffix of ['GET /authorize', 'GET /login']) {
      expect(envOf(template, suffix).APP_SECRET_ID).toBeUndefined();
    }
    for (const suffix of ['GET /callback', 'expire soon', 'SP-API notifications']) {
      expect(envOf(template, suffix).APP_SECRET_ID).toBe(APP_SECRET_ARN);
    }
  });

  test('GetSecretValue on that ARN, and kms:Decrypt on its key only through Secrets Manager; only the rotation writes', () => {
    const statements = policyStatements(template).map(({ statement }) => statement);
    const grants = statements.filter((s) => resourcesOf(s).includes(APP_SECRET_ARN));
    // callback and refresh read; the client-secret rotation also writes.
    expect(grants.map(actionsOf).sort()).toEqual([
      ['secretsmanager:GetSecretValue'],
      ['secretsmanager:GetSecretValue'],
      ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
    ]);
    const keyGrants = statements.filter((s) => resourcesOf(s).includes(APP_SECRET_KEY_ARN));
    expect(keyGrants.map(actionsOf).sort()).toEqual([
      ['kms:Decrypt'],
      ['kms:Decrypt'],
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    ]);
    for (const grant of keyGrants) {
      expect(flatten(grant.Condition?.StringEquals?.['kms:ViaService'])).toBe(
        'secretsmanager.<AWS::Region>.amazonaws.com',
      );
      expect(grant.Condition?.StringEquals?.['kms:EncryptionContext:SecretARN']).toBe(APP_SECRET_ARN);
    }
  });

  test('a partial ARN is rejected, because IAM would not match the real secret', () => {
    expect(build({ appSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lwa/app' })).toThrow(
      /appSecretArn must be the complete secret ARN including the 6-character suffix/,
    );
  });

  test('appSecretKeyArn without appSecretArn is rejected', () => {
    expect(build({ appSecretKeyArn: APP_SECRET_KEY_ARN })).toThrow(
      /appSecretKeyArn only applies to an imported/,
    );
  });
});

describe('served regions follow refreshRegions', () => {
  test('a service refreshing EU only gives every authorization route SERVED_REGIONS=EU', () => {
    const template = synth({ refreshRegions: [LwaRegion.EU], deviceAuthorizationApi: true });
    for (const route of ['GET /authorize', 'GET /login', 'GET /callback', 'device authorization API']) {
      expect(envOf(template, route)).toMatchObject({ SERVED_REGIONS: 'EU' });
    }
  });

  test('the default (every region) leaves the variable unset, so the handlers serve all three', () => {
    const template = synth({ deviceAuthorizationApi: true });
    for (const route of ['GET /authorize', 'GET /login', 'GET /callback', 'device authorization API']) {
      expect(envOf(template, route)).not.toHaveProperty('SERVED_REGIONS');
    }
  });
});

describe('app secret sources for per-region deployments', () => {
  test('appSecretName and appSecretReplicaRegions name and replicate the created secret', () => {
    const template = synth({ appSecretName: 'lwa/app', appSecretReplicaRegions: ['eu-west-1'] });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'lwa/app',
      ReplicaRegions: [{ Region: 'eu-west-1' }],
    });
  });

  test('existingAppSecretName: no secret created, the name as APP_SECRET_ID, reads on name-?????? and no key grant', () => {
    const template = synth({ existingAppSecretName: 'lwa/app', rotateClientSecret: false });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(envOf(template, 'GET /callback')).toMatchObject({ APP_SECRET_ID: 'lwa/app' });
    const onSecret = policyStatements(template).filter(({ statement }) =>
      resourcesOf(statement)
        .map(flatten)
        .some((r) => r.includes(':secret:lwa/app')),
    );
    expect(onSecret.map(({ statement }) => resourcesOf(statement).map(flatten))).toEqual(
      onSecret.map(() => [
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:lwa/app-??????',
      ]),
    );
    expect(onSecret.flatMap(({ statement }) => actionsOf(statement))).toEqual(
      onSecret.map(() => 'secretsmanager:GetSecretValue'),
    );
    const keyConditions = policyStatements(template).map(({ statement }) =>
      JSON.stringify(statement.Condition?.StringEquals?.['kms:EncryptionContext:SecretARN'] ?? ''),
    );
    expect(keyConditions.some((c) => c.includes('lwa/app'))).toBe(false);
  });

  test.each([
    [{ appSecretArn: APP_SECRET_ARN, existingAppSecretName: 'lwa/app' }, /Pass one app secret source/],
    [{ appSecretArn: APP_SECRET_ARN, appSecretName: 'lwa/app' }, /Pass one app secret source/],
    [
      { existingAppSecretName: 'lwa/app', appSecretReplicaRegions: ['eu-west-1'] },
      /Pass one app secret source/,
    ],
    [{ appSecretReplicaRegions: ['eu-west-1'] }, /appSecretReplicaRegions needs appSecretName/],
    [
      { appSecretName: 'lwa/app', appSecretReplicaRegions: ['EU'] },
      /AWS region names such as eu-west-1; got "EU"/,
    ],
  ])('rejects %j', (props, message) => {
    expect(build(props)).toThrow(message);
  });
});

describe('sellers table: existing vs props', () => {
  test('existingSellerTable: no sellers table created; env and IAM use the existing one', () => {
    const stack = new Stack(appWithoutBundling(), 'TestStack');
    const existing = dynamodb.Table.fromTableName(stack, 'Existing', 'existing-sellers');
    new LwaTokenService(stack, 'Service', { existingSellerTable: existing });
    const withExisting = Template.fromStack(stack);
    withExisting.resourceCountIs('AWS::DynamoDB::Table', 1);
    withExisting.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    expect(envOf(withExisting, 'expire soon').SELLER_TABLE_NAME).toBe('existing-sellers');
    const query = policyStatements(withExisting)
      .map(({ statement }) => statement)
      .find((s) => actionsOf(s).includes('dynamodb:Query'));
    expect(resourcesOf(query as never).map(flatten)).toEqual([
      'arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/existing-sellers/index/byRegion',
    ]);
  });

  test('sellerTableProps override the created table but not its keys', () => {
    const template = synth({
      sellerTableProps: { deletionProtection: false, contributorInsightsSpecification: { enabled: true } },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'sellerId', KeyType: 'HASH' },
        { AttributeName: 'region', KeyType: 'RANGE' },
      ],
      DeletionProtectionEnabled: false,
      ContributorInsightsSpecification: { Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byRegion' })],
    });
  });

  test('sellerTableProps may choose another encryption type without a key', () => {
    const template = synth({ sellerTableProps: { encryption: dynamodb.TableEncryption.AWS_MANAGED } });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([{ AttributeName: 'sellerId', KeyType: 'HASH' }]),
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  test('both given: synth fails with a clear message', () => {
    const stack = new Stack(appWithoutBundling(), 'TestStack');
    const existing = dynamodb.Table.fromTableName(stack, 'Existing', 'existing-sellers');
    expect(
      () =>
        new LwaTokenService(stack, 'Service', {
          existingSellerTable: existing,
          sellerTableProps: { deletionProtection: false },
        }),
    ).toThrow('TestStack/Service/Store: Pass either existingSellerTable or sellerTableProps, not both');
  });
});

describe('invalid props fail at synth with a message naming the prop', () => {
  test.each<[string, LwaTokenServiceProps, RegExp]>([
    [
      'writes per second above the quota',
      { secretsWritesPerSecond: 60 },
      /secretsWritesPerSecond must be an integer from 1 to 50 \(Secrets Manager allows 50 writes per second.*got 60/,
    ],
    [
      'a grantless scope with a space',
      { grantlessScopes: { NA: ['sellingpartnerapi notifications'] } },
      /grantlessScopes\.NA has invalid scopes \["sellingpartnerapi notifications"\]/,
    ],
    [
      'a grantless scope in an unknown region',
      { grantlessScopes: { XX: ['profile'] } as unknown as LwaTokenServiceProps['grantlessScopes'] },
      /grantlessScopes has unknown region "XX"/,
    ],
    [
      'writes per second of zero',
      { secretsWritesPerSecond: 0 },
      /secretsWritesPerSecond must be an integer from 1/,
    ],
    [
      'writes × reserved concurrency above the quota',
      { secretsWritesPerSecond: 20, refreshReservedConcurrency: 3 },
      /secretsWritesPerSecond × refreshReservedConcurrency must not exceed .* got 20 × 3 = 60/,
    ],
    [
      'a reservation count while reserving nothing',
      { reserveRefreshConcurrency: false, refreshReservedConcurrency: 2 },
      /refreshReservedConcurrency has no effect with reserveRefreshConcurrency: false; drop one of them/,
    ],
    [
      'lead of 30 s',
      { refreshLead: Duration.seconds(30) },
      /refreshLead must be more than 120 seconds \(twice the token client's 60-second cache margin\).*got 30 seconds/,
    ],
    [
      'lead of exactly 2 × margin',
      { refreshLead: Duration.seconds(120) },
      /refreshLead must be more than 120/,
    ],
    ['lead of an hour', { refreshLead: Duration.hours(1) }, /refreshLead .* at most 1800 seconds; got 3600/],
    [
      'unknown region',
      { refreshRegions: [LwaRegion.NA, 'XX' as never] },
      /refreshRegions must be a subset of NA, EU, FE; unknown: "XX"/,
    ],
    ['no region', { refreshRegions: [] }, /refreshRegions must name at least one of NA, EU, FE/],
    [
      'prefix with a space',
      { tokenSecretPrefix: 'bad prefix' },
      /tokenSecretPrefix must match .*got "bad prefix"/,
    ],
    ['prefix with a trailing slash', { tokenSecretPrefix: 'lwa-tokens/' }, /must not start or end with "\/"/],
    [
      'plain-http LWA endpoint',
      { lwaEndpoints: { NA: 'http://api.amazon.com' } },
      /lwaEndpoints.NA must be an https:\/\/ URL \(http:\/\/ is allowed only for localhost or 127.0.0.1\)/,
    ],
    [
      'LWA endpoint with a path slash',
      { lwaEndpoints: { EU: 'https://api.amazon.co.uk/' } },
      /lwaEndpoints.EU must be a base URL without trailing slash/,
    ],
    [
      'unknown LWA region',
      { lwaEndpoints: { XX: 'https://x' } as never },
      /lwaEndpoints keys .* unknown: XX/,
    ],
    [
      'login host with a scheme',
      { loginAllowedHosts: { 'https://sellercentral.amazon.com': LwaRegion.NA } },
      /loginAllowedHosts keys must be lower-case hostnames/,
    ],
    [
      'refresh concurrency 0',
      { refreshConcurrency: 0 },
      /refreshConcurrency must be an integer from 1 to 64/,
    ],
    [
      'refresh timeout 20 minutes',
      { refreshTimeout: Duration.minutes(20) },
      /refreshTimeout must be from 120 seconds to 15 minutes.*got 1200 seconds/,
    ],
    [
      'refresh timeout of 60 s, which leaves the refresher no working time',
      { refreshTimeout: Duration.seconds(60) },
      /refreshTimeout must be from 120 seconds .*stops taking work 60 seconds before its timeout.*got 60 seconds/,
    ],
    [
      'refresh timeout of 30 s',
      { refreshTimeout: Duration.seconds(30) },
      /refreshTimeout must be from 120 seconds.*got 30 seconds/,
    ],
    [
      'refresh timeout of 119 s, which cuts every run of a one-minute tick short',
      { refreshTimeout: Duration.seconds(119) },
      /refreshTimeout must be from 120 seconds .*takes work until its successor is due, 60 seconds after it was.*got 119 seconds/,
    ],
    [
      'redirect URI not on /callback',
      { redirectUri: 'https://auth.example.com/oauth' },
      /redirectUri must end with the \/callback route/,
    ],
  ])('%s', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });

  test('the shortest refresh timeout that leaves a full run is accepted', () => {
    expect(build({ refreshTimeout: Duration.seconds(120) })).not.toThrow();
  });

  test('the refresh-timeout minimum uses the refresh handler’s own stop-before-timeout and run budget', () => {
    const config = loadRefreshConfig({
      SELLER_TABLE_NAME: 'sellers',
      APP_SECRET_ID: 'app',
      TOKEN_KMS_KEY_ID: 'key',
      LWA_ENDPOINTS: JSON.stringify(DEFAULTS.lwaEndpoints),
    });
    expect(config.stopBeforeTimeoutSeconds).toBe(DEFAULTS.refreshStopBeforeTimeout.toSeconds());
    expect(config.runBudgetSeconds).toBe(DEFAULTS.refreshRunBudget.toSeconds());
  });

  test('http on loopback is allowed for the LWA emulator', () => {
    expect(
      build({ lwaEndpoints: { NA: 'http://127.0.0.1:4010', EU: 'http://localhost:4010' } }),
    ).not.toThrow();
  });
});

describe('time budgets of the functions behind API Gateway', () => {
  test('each fits API Gateway’s 29 s limit, with room for a full LWA wait, a fallback and the writes', () => {
    // Prepare
    const template = synth({ deviceAuthorizationApi: true });
    const behindApi = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
      /GET \/(authorize|login|callback)$|device authorization API$/.test(String(fn.Properties.Description)),
    );

    // Assess
    expect(behindApi).toHaveLength(4);
    for (const fn of behindApi) {
      const timeoutMs = (fn.Properties.Timeout as number) * 1000;
      expect(timeoutMs).toBeLessThan(DEFAULTS.apiGatewayIntegrationTimeout.toMilliseconds());
      expect(timeoutMs).toBeGreaterThanOrEqual(
        MAX_LWA_TIMEOUT_MS + MIN_LWA_TIMEOUT_MS + AUTHORIZATION_WRITE_RESERVE_MS,
      );
    }
  });
});

describe('optional settings', () => {
  test('custom prefix, regions, lead and rates reach the environment and IAM', () => {
    const template = synth({
      tokenSecretPrefix: 'sp-api/lwa',
      refreshRegions: [LwaRegion.EU],
      refreshLead: Duration.minutes(15),
      secretsWritesPerSecond: 10,
      refreshReservedConcurrency: 2,
      refreshTimeout: Duration.minutes(3),
      refreshSchedule: ScheduleExpression.expression('rate(2 minutes)'),
    });
    expect(envOf(template, 'expire soon')).toMatchObject({
      TOKEN_SECRET_PREFIX: 'sp-api/lwa',
      REFRESH_REGIONS: 'EU',
      REFRESH_LEAD_SECONDS: '900',
      SECRETS_WRITES_PER_SECOND: '10',
      LEASE_SECONDS: '240',
      REFRESH_TICK_SECONDS: '120',
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(2 minutes)' });
    const secretResources = policyStatements(template)
      .filter(({ statement }) => actionsOf(statement).includes('secretsmanager:PutSecretValue'))
      .flatMap(({ statement }) => resourcesOf(statement).map(flatten));
    // The prefix for token secrets; the app secret for the client-secret rotation.
    expect(new Set(secretResources)).toEqual(
      new Set([
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:sp-api/lwa/*',
        expect.stringMatching(/^<ServiceStoreAppSecret\w+>$/),
      ]),
    );
  });

  test('grantless scopes reach the refresher as GRANTLESS_SCOPES, with PutItem to index them', () => {
    const scopes = {
      NA: ['sellingpartnerapi::notifications'],
      EU: ['sellingpartnerapi::client_credential:rotation'],
    };
    const template = synth({ grantlessScopes: scopes });
    expect(JSON.parse(envOf(template, 'expire soon').GRANTLESS_SCOPES as string)).toEqual(scopes);
    const refresherActions = policyStatements(template)
      .filter(({ policy }) => policy.includes('Refresh'))
      .flatMap(({ statement }) => actionsOf(statement));
    expect(refresherActions).toContain('dynamodb:PutItem');
  });

  test('without grantless scopes the refresher gets neither the variable nor PutItem', () => {
    const template = synth();
    expect(envOf(template, 'expire soon').GRANTLESS_SCOPES).toBeUndefined();
    const refresherActions = policyStatements(template)
      .filter(({ policy }) => policy.includes('Refresh'))
      .flatMap(({ statement }) => actionsOf(statement));
    expect(refresherActions).toContain('dynamodb:UpdateItem');
    expect(refresherActions).not.toContain('dynamodb:PutItem');
  });

  test('reserveRefreshConcurrency false deploys without a reservation', () => {
    const template = synth({ reserveRefreshConcurrency: false, secretsWritesPerSecond: 50 });
    const refresher = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String(f.Properties.Description).endsWith('expire soon'),
    );
    expect(refresher?.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('Seller Central, login host and redirect overrides set their variables only when given', () => {
    const defaults = synth();
    expect(envOf(defaults, 'GET /authorize').SELLER_CENTRAL_URLS).toBeUndefined();
    expect(envOf(defaults, 'GET /login').LOGIN_ALLOWED_HOSTS).toBeUndefined();
    expect(envOf(defaults, 'GET /callback').REDIRECT_URI).toBeUndefined();

    const template = synth({
      sellerCentralUrls: { EU: 'https://sellercentral.amazon.de' },
      loginAllowedHosts: { 'sellercentral.amazon.de': LwaRegion.EU, 'localhost:8080': LwaRegion.NA },
      redirectUri: 'https://auth.example.com/callback',
    });
    expect(envOf(template, 'GET /authorize').SELLER_CENTRAL_URLS).toBe(
      '{"EU":"https://sellercentral.amazon.de"}',
    );
    expect(envOf(template, 'GET /login')).toMatchObject({
      LOGIN_ALLOWED_HOSTS: 'sellercentral.amazon.de=EU,localhost:8080=NA',
      REDIRECT_URI: 'https://auth.example.com/callback',
    });
    expect(envOf(template, 'GET /callback').REDIRECT_URI).toBe('https://auth.example.com/callback');
  });

  test('LWA endpoint overrides merge over the defaults', () => {
    const template = synth({ lwaEndpoints: { EU: 'https://api.amazon.com' } });
    expect(JSON.parse(String(envOf(template, 'GET /callback').LWA_ENDPOINTS))).toEqual({
      NA: 'https://api.amazon.com',
      EU: 'https://api.amazon.com',
      FE: 'https://api.amazon.co.jp',
    });
  });

  test('webAclArn associates the web ACL with the stage', () => {
    const webAclArn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/lwa/1234';
    synth({ webAclArn }).hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    synth().resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  test('the dead-letter alarm can be turned off; the metric stays available', () => {
    const stack = new Stack(appWithoutBundling(), 'TestStack');
    const service = new LwaTokenService(stack, 'Service', { refreshDeadLetterAlarm: false });
    expect(refresherAlarmMetrics(Template.fromStack(stack)).sort()).toEqual(
      ['Invocations', 'RunBudgetExhausted', 'TokensExpired', 'UnpersistedRotations'].sort(),
    );
    expect(service.refreshDeadLetterMetric.metricName).toBe('ApproximateNumberOfMessagesVisible');
  });

  test('the falling-behind alarm can be turned off; the metric stays available', () => {
    const stack = new Stack(appWithoutBundling(), 'TestStack');
    const service = new LwaTokenService(stack, 'Service', {
      refreshBehindAlarm: false,
      refreshDeadLetterAlarm: false,
    });
    expect(refresherAlarmMetrics(Template.fromStack(stack))).not.toContain('RunBudgetExhausted');
    expect(refresherAlarmMetrics(Template.fromStack(stack))).not.toContain(
      'ApproximateNumberOfMessagesVisible',
    );
    expect(service.refresher.refreshBehindMetric.metricName).toBe('RunBudgetExhausted');
  });
});

test('the cache margin the lead is validated against matches the token client', () => {
  expect(TOKEN_CLIENT_CACHE_MARGIN_SECONDS).toBe(DEFAULT_CACHE_MARGIN_SECONDS);
});
