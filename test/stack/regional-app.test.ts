import { App, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildLwaTokenApp, RegionalDeploymentError } from '../../lib/lwa-token-app';
import type { LwaTokenStack } from '../../lib/lwa-token-stack';
import {
  actionsOf,
  appWithoutBundling,
  flatten,
  type PolicyStatement,
  readValidationReport,
  resourcesOf,
  statementsOfRole,
} from './helpers';

// The app bin/app.ts builds, with -c deployments=…: one stack per AWS region, each serving and
// refreshing its own SP-API regions, the app secret created once and replicated, and the
// consumers' grants telling the token client which AWS region holds which SP-API region's secrets.

const DEPLOYMENTS = '{"us-east-1":["NA"],"eu-west-1":["EU"],"us-west-2":["FE"]}';
const APP_SECRET_NAME = 'LwaTokenService/app-credentials';

type Env = Record<string, unknown>;

function functionsOf(template: Template): Array<{ id: string; description: string; env: Env }> {
  return Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, resource]) => ({
    id,
    description: String(resource.Properties.Description ?? ''),
    env: (resource.Properties.Environment?.Variables ?? {}) as Env,
  }));
}

function functionNamed(template: Template, description: RegExp): { id: string; env: Env } {
  const found = functionsOf(template).filter((fn) => description.test(fn.description));
  if (found.length !== 1 || !found[0]) throw new Error(`expected one function like ${description}`);
  return found[0];
}

describe('-c deployments: one stack per AWS region', () => {
  let app: App;
  let stacks: LwaTokenStack[];
  let assembly: CloudAssembly;
  const templates = new Map<string, Template>();

  beforeAll(() => {
    app = new App({ context: { deployments: DEPLOYMENTS } });
    stacks = buildLwaTokenApp(app);
    assembly = app.synth();
    for (const stack of stacks) templates.set(stack.region, Template.fromStack(stack));
  });

  const template = (region: string): Template => {
    const found = templates.get(region);
    if (!found) throw new Error(`no stack in ${region}`);
    return found;
  };

  test('three stacks named <stackName>-<AWS region>, each with a region and no account', () => {
    expect(stacks.map((stack) => [stack.stackName, stack.region])).toEqual([
      ['LwaTokenService-us-east-1', 'us-east-1'],
      ['LwaTokenService-eu-west-1', 'eu-west-1'],
      ['LwaTokenService-us-west-2', 'us-west-2'],
    ]);
    for (const stack of stacks) expect(Token.isUnresolved(stack.account)).toBe(true);
  });

  test.each([
    ['us-east-1', 'NA'],
    ['eu-west-1', 'EU'],
    ['us-west-2', 'FE'],
  ])('%s refreshes and serves %s only', (region, spApiRegion) => {
    const refresher = functionNamed(template(region), /refresh/i);
    expect(refresher.env.REFRESH_REGIONS).toBe(spApiRegion);
    for (const route of [/GET \/authorize/, /GET \/login/, /GET \/callback/]) {
      expect(functionNamed(template(region), route).env.SERVED_REGIONS).toBe(spApiRegion);
    }
  });

  test('the primary (it serves applicationRegion NA) creates the named app secret, replicated to the others', () => {
    const secrets = Object.values(template('us-east-1').findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Properties).toMatchObject({
      Name: APP_SECRET_NAME,
      ReplicaRegions: [{ Region: 'eu-west-1' }, { Region: 'us-west-2' }],
    });
    // The replicas use their region's aws/secretsmanager key: no key is named for them.
    expect(JSON.stringify(secrets[0]?.Properties.ReplicaRegions)).not.toContain('KmsKeyId');
  });

  test('only the primary rotates the client secret', () => {
    expect(
      functionsOf(template('us-east-1')).some((fn) => /rotates the LWA client secret/.test(fn.description)),
    ).toBe(true);
    expect(template('us-east-1').toJSON().Outputs).toHaveProperty('NotificationQueueArn');
    for (const region of ['eu-west-1', 'us-west-2']) {
      expect(functionsOf(template(region)).some((fn) => /rotates/.test(fn.description))).toBe(false);
      expect(template(region).toJSON().Outputs).not.toHaveProperty('NotificationQueueArn');
      template(region).resourceCountIs('AWS::SQS::Queue', 1); // the refresher's dead-letter queue
    }
  });

  test.each(['eu-west-1', 'us-west-2'])(
    '%s reads its replica by name, read-only, and creates no secret',
    (region) => {
      const regional = template(region);
      regional.resourceCountIs('AWS::SecretsManager::Secret', 0);
      const readers = functionsOf(regional).filter((fn) => fn.env.APP_SECRET_ID !== undefined);
      expect(readers.map((fn) => fn.env.APP_SECRET_ID)).toEqual(readers.map(() => APP_SECRET_NAME));
      expect(readers.length).toBeGreaterThanOrEqual(2); // the callback and the refresher

      const replicaArn = `arn:<AWS::Partition>:secretsmanager:${region}:<AWS::AccountId>:secret:${APP_SECRET_NAME}-??????`;
      const onReplica = Object.values(regional.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[])
        .filter((statement) => resourcesOf(statement).map(flatten).includes(replicaArn));
      expect(onReplica.length).toBeGreaterThan(0);
      for (const statement of onReplica)
        expect(actionsOf(statement)).toEqual(['secretsmanager:GetSecretValue']);
      // Nothing may write the replica or use a key on it: the aws/secretsmanager key policy covers reads.
      expect(JSON.stringify(regional.toJSON())).not.toContain(
        'secretsmanager:PutSecretValue"],"Resource":"arn',
      );
    },
  );

  test('the other stacks keep the alarm on rejected app credentials', () => {
    for (const region of ['eu-west-1', 'us-west-2']) {
      const alarms = Object.values(template(region).findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.some((alarm) => alarm.Properties.MetricName === 'AppCredentialFaults')).toBe(true);
    }
  });

  test('the other stacks depend on the primary, so deploy --all creates the secret first', () => {
    const [primary, ...others] = stacks;
    for (const stack of others) expect(stack.dependencies).toContain(primary);
  });

  test('cdk-nag reports no unacknowledged findings in any stack', () => {
    const report = readValidationReport(assembly);
    const findings = report.pluginReports.flatMap((plugin) =>
      plugin.violations.map((violation) => `${plugin.pluginName}: ${violation.ruleName}`),
    );
    expect(findings).toEqual([]);
  });
});

describe('grantReadTokens from every regional service to one consumer', () => {
  let consumerTemplate: Template;
  let statements: PolicyStatement[];
  let consumerStack: Stack;

  beforeAll(() => {
    const app = new App({ context: { deployments: DEPLOYMENTS, 'aws:cdk:bundling-stacks': [] } });
    // The consumer is not nag-clean (a bare test function); its IAM5 findings are checked below.
    const stacks = buildLwaTokenApp(app, { nagChecks: false });
    consumerStack = new Stack(app, 'Consumer', { env: { region: 'us-east-1' } });
    const consumer = new lambda.Function(consumerStack, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    // Granted in reverse order: the map must not depend on which grant came last.
    for (const stack of [...stacks].reverse()) stack.service.grantReadTokens(consumer);
    app.synth();
    consumerTemplate = Template.fromStack(consumerStack);
    statements = statementsOfRole(consumerTemplate, 'ConsumerServiceRole');
  });

  test('TOKEN_SECRET_REGIONS maps each SP-API region to the AWS region of the stack that serves it', () => {
    consumerTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: {
          TOKEN_SECRET_PREFIX: 'lwa-tokens',
          TOKEN_SECRET_REGIONS: '{"NA":"us-east-1","EU":"eu-west-1","FE":"us-west-2"}',
        },
      },
    });
  });

  test('GetSecretValue on the token prefix in each of the three regions, and nothing else', () => {
    const reads = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(reads.flatMap((s) => actionsOf(s))).toEqual(reads.map(() => 'secretsmanager:GetSecretValue'));
    expect(reads.flatMap((s) => resourcesOf(s).map(flatten)).sort()).toEqual(
      ['eu-west-1', 'us-east-1', 'us-west-2'].map(
        (region) => `arn:<AWS::Partition>:secretsmanager:${region}:<AWS::AccountId>:secret:lwa-tokens/*`,
      ),
    );
  });

  test.each(['eu-west-1', 'us-west-2'])(
    'kms:Decrypt for %s names its keys by region, only via its Secrets Manager, only for token secrets',
    (region) => {
      const decrypt = statements.find((s) =>
        resourcesOf(s).map(flatten).includes(`arn:<AWS::Partition>:kms:${region}:<AWS::AccountId>:key/*`),
      );
      expect(decrypt).toBeDefined();
      expect(actionsOf(decrypt as PolicyStatement)).toEqual(['kms:Decrypt']);
      expect(resourcesOf(decrypt as PolicyStatement)).toHaveLength(1);
      expect(decrypt?.Condition?.StringEquals?.['kms:ViaService']).toBe(
        `secretsmanager.${region}.amazonaws.com`,
      );
      expect(flatten(decrypt?.Condition?.StringLike?.['kms:EncryptionContext:SecretARN'])).toBe(
        `arn:<AWS::Partition>:secretsmanager:${region}:<AWS::AccountId>:secret:lwa-tokens/*`,
      );
    },
  );

  test('the same-region service keeps the same-stack form: its own key, by ARN', () => {
    const decrypts = statements.filter((s) => actionsOf(s).includes('kms:Decrypt'));
    expect(decrypts).toHaveLength(3);
    const sameRegion = decrypts.find((s) => JSON.stringify(s.Resource).includes('Fn::ImportValue'));
    // The consumer's own region, which is the service's: exactly what a same-stack grant says.
    expect(flatten(sameRegion?.Condition?.StringEquals?.['kms:ViaService'])).toBe(
      'secretsmanager.<AWS::Region>.amazonaws.com',
    );
  });

  test('cdk-nag finds no unacknowledged wildcard in the consumer role', () => {
    const iam5 = new AwsSolutionsChecks()
      .validateScope(consumerStack)
      .violations.filter((violation) => violation.ruleName.startsWith('AwsSolutions-IAM5'));
    expect(iam5).toEqual([]);
  });
});

describe('grantReadTokens across regional services: conflicts fail synth', () => {
  test('two services claiming one SP-API region for one function', () => {
    const app = new App({
      context: {
        deployments: '{"us-east-1":["NA"],"eu-west-1":["EU"]}',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const [east] = buildLwaTokenApp(app);
    const other = new App({
      context: { deployments: '{"us-west-2":["NA"]}', 'aws:cdk:bundling-stacks': [] },
    });
    const [west] = buildLwaTokenApp(other);
    const consumer = new lambda.Function(east as Stack, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    east?.service.grantReadTokens(consumer);
    expect(() => west?.service.grantReadTokens(consumer)).toThrow(
      /already reads NA tokens from .* in us-east-1; each SP-API region must come from one service/,
    );
  });

  test('an environment-agnostic service leaves the consumer environment as it was', () => {
    const app = appWithoutBundling();
    const [stack] = buildLwaTokenApp(app, { nagChecks: false });
    const consumer = new lambda.Function(stack as Stack, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    stack?.service.grantReadTokens(consumer);
    const variables = Template.fromStack(stack as Stack).findResources('AWS::Lambda::Function', {
      Properties: { Code: { ZipFile: 'exports.handler = async () => {};' } },
    });
    expect(Object.values(variables)[0]?.Properties.Environment.Variables).toEqual({
      TOKEN_SECRET_PREFIX: 'lwa-tokens',
    });
  });
});

describe('grantReadTokens to a consumer stack with an explicit account in the same region', () => {
  test('uses the literal form, since CloudFormation cannot reference across environments', () => {
    const app = new App({ context: { deployments: '{"us-east-1":["NA"]}', 'aws:cdk:bundling-stacks': [] } });
    const [east] = buildLwaTokenApp(app, { nagChecks: false });
    const consumerStack = new Stack(app, 'Consumer', {
      env: { region: 'us-east-1', account: '123456789012' },
    });
    const consumer = new lambda.Function(consumerStack, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    east?.service.grantReadTokens(consumer);
    expect(() => app.synth()).not.toThrow();
    const decrypt = statementsOfRole(Template.fromStack(consumerStack), 'ConsumerServiceRole').find((s) =>
      actionsOf(s).includes('kms:Decrypt'),
    );
    expect(resourcesOf(decrypt as PolicyStatement).map(flatten)).toEqual([
      'arn:<AWS::Partition>:kms:us-east-1:<AWS::AccountId>:key/*',
    ]);
  });
});

describe('without deployments', () => {
  test('one environment-agnostic stack, as before', () => {
    const stacks = buildLwaTokenApp(appWithoutBundling());
    expect(stacks.map((stack) => [stack.node.id, stack.stackName])).toEqual([
      ['LwaTokenStack', 'LwaTokenService'],
    ]);
    expect(Token.isUnresolved(stacks[0]?.region)).toBe(true);
  });
});

describe('deployments with an imported app secret', () => {
  test('appSecretArn is read in each stack’s own region (a replica differs only there); only the primary rotates', () => {
    const app = new App({
      context: {
        deployments: '{"eu-west-1":["EU"],"us-east-1":["NA","FE"]}',
        appSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lwa-app-AbCdEf',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const stacks = buildLwaTokenApp(app);
    expect(stacks.map((stack) => [stack.region, stack.service.appSecret.secretArn])).toEqual([
      ['eu-west-1', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lwa-app-AbCdEf'],
      ['us-east-1', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lwa-app-AbCdEf'],
    ]);
    expect(stacks.map((stack) => stack.service.clientSecretRotation !== undefined)).toEqual([false, true]);
  });

  test('appSecretKeyArn cannot be combined with deployments', () => {
    const app = new App({
      context: {
        deployments: '{"us-east-1":["NA"]}',
        appSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lwa-app-AbCdEf',
        appSecretKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    });
    expect(() => buildLwaTokenApp(app)).toThrow(RegionalDeploymentError);
    expect(() => buildLwaTokenApp(app)).toThrow(/"appSecretKeyArn".*drop appSecretKeyArn/);
  });
});
