import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { ClientSecretRotation } from '../../lib/client-secret-rotation';
import { LwaRegion } from '../../lib/defaults';
import { LwaTokenService, type LwaTokenServiceProps } from '../../lib/lwa-token-service';
import { LwaTokenStack } from '../../lib/lwa-token-stack';
import {
  actionsOf,
  appWithoutBundling,
  flatten,
  type PolicyStatement,
  resourcesOf,
  statementsOfRole,
} from './helpers';

// Resources and IAM only, so esbuild is skipped; the bundled synth and cdk-nag run in lwa-token-stack.test.ts.
function synth(props: LwaTokenServiceProps = {}): {
  stack: Stack;
  service: LwaTokenService;
  template: Template;
} {
  const stack = new Stack(appWithoutBundling(), 'TestStack');
  const service = new LwaTokenService(stack, 'Service', props);
  return { stack, service, template: Template.fromStack(stack) };
}

/** The rotation the service creates by default (`rotateClientSecret` unset). */
function rotationOf(service: LwaTokenService): ClientSecretRotation {
  if (!service.clientSecretRotation) throw new Error('the service has no client-secret rotation');
  return service.clientSecretRotation;
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function rotationEnv(template: Template): Record<string, unknown> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String(f.Properties.Description).includes('rotates the LWA client secret'),
  );
  if (!fn) throw new Error('no rotation function');
  return fn.Properties.Environment.Variables;
}

const ROTATION_ROLE = 'ServiceClientSecretRotationRotationHandlerRole';
const REFRESH_ROLE = 'ServiceRefresherRefreshHandlerRole';
const TOKEN_PREFIX_RESOURCE = /secret:lwa-tokens\//;
const ROTATION_RECORDS_ONLY = {
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['client-secret-rotation#*'] },
};

describe('default service', () => {
  let stack: Stack;
  let service: LwaTokenService;
  let template: Template;
  let queueId: string;
  let deadLetterQueueId: string;
  beforeAll(() => {
    ({ stack, service, template } = synth());
    queueId = logicalId(stack, rotationOf(service).notificationQueue);
    deadLetterQueueId = logicalId(stack, rotationOf(service).notificationDeadLetterQueue);
  });

  describe('notification queue', () => {
    test('its policy lets account 437568002678 SendMessage and GetQueueAttributes, and nothing else', () => {
      const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((policy) =>
        (policy.Properties.Queues as Array<{ Ref: string }>).some((queue) => queue.Ref === queueId),
      );
      expect(policies).toHaveLength(1);
      const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
      expect(policies[0]?.Properties.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: queueArn,
          },
          {
            Sid: 'SellingPartnerApiNotifications',
            Effect: 'Allow',
            Principal: {
              AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::437568002678:root']] },
            },
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
            Resource: queueArn,
          },
        ],
      });
    });

    test('SSE-SQS encrypted, with a dead-letter queue after 5 receives, visible again after 6 × the timeout', () => {
      expect(template.toJSON().Resources[queueId].Properties).toEqual({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 180,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] },
          maxReceiveCount: 5,
        },
      });
    });

    test('the dead-letter queue is SSE-SQS encrypted, TLS only, keeps messages 14 days and lets nobody else in', () => {
      expect(template.toJSON().Resources[deadLetterQueueId].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
        (p.Properties.Queues as Array<{ Ref: string }>).some((queue) => queue.Ref === deadLetterQueueId),
      );
      expect(policy?.Properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    });

    test('the rotation function consumes it in batches of 10 with partial batch failures, at most 2 at a time', () => {
      const functionId = logicalId(stack, rotationOf(service).rotationFunction);
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        FunctionName: { Ref: functionId },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });
  });

  describe('rotation function', () => {
    test('environment: exactly the agreed variables, with NA and the documented SP-API endpoints', () => {
      const env = rotationEnv(template);
      expect(Object.keys(env).sort()).toEqual(
        [
          'APP_SECRET_ID',
          'APPLICATION_REGION',
          'EVENT_BUS_NAME',
          'LWA_ENDPOINTS',
          'NODE_OPTIONS',
          'NOTIFICATION_DLQ_URL',
          'POWERTOOLS_LOG_LEVEL',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_SERVICE_NAME',
          'SPAPI_ENDPOINTS',
          'STATE_TABLE_NAME',
        ].sort(),
      );
      expect(env).toMatchObject({
        APPLICATION_REGION: 'NA',
        EVENT_BUS_NAME: 'default',
        NOTIFICATION_DLQ_URL: { Ref: deadLetterQueueId },
        STATE_TABLE_NAME: { Ref: logicalId(stack, service.tokenStore.stateTable) },
        APP_SECRET_ID: { Ref: logicalId(stack, service.appSecret) },
      });
      expect(JSON.parse(env.SPAPI_ENDPOINTS as string)).toEqual({
        NA: 'https://sellingpartnerapi-na.amazon.com',
        EU: 'https://sellingpartnerapi-eu.amazon.com',
        FE: 'https://sellingpartnerapi-fe.amazon.com',
      });
      expect(JSON.parse(env.LWA_ENDPOINTS as string)).toEqual({
        NA: 'https://api.amazon.com',
        EU: 'https://api.amazon.co.uk',
        FE: 'https://api.amazon.co.jp',
      });
    });

    test('its role holds exactly the agreed permissions', () => {
      const statements = statementsOfRole(template, ROTATION_ROLE).map((statement) => ({
        actions: actionsOf(statement),
        resources: resourcesOf(statement).map(flatten),
        condition: statement.Condition,
      }));
      const appSecret = `<${logicalId(stack, service.appSecret)}>`;
      const key = `<${logicalId(stack, service.encryptionKey)}.Arn>`;
      expect(statements).toEqual([
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [expect.any(String)],
          condition: undefined,
        },
        {
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
          condition: undefined,
        },
        {
          actions: [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
          ],
          resources: [`<${queueId}.Arn>`],
          condition: undefined,
        },
        {
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          resources: [appSecret],
          condition: undefined,
        },
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [key],
          condition: {
            StringEquals: {
              'kms:ViaService': expect.anything(),
              'kms:EncryptionContext:SecretARN': { Ref: logicalId(stack, service.appSecret) },
            },
          },
        },
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [`<${logicalId(stack, service.tokenStore.stateTable)}.Arn>`],
          condition: ROTATION_RECORDS_ONLY,
        },
        {
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [key],
          condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
        },
        { actions: ['sqs:SendMessage'], resources: [`<${deadLetterQueueId}.Arn>`], condition: undefined },
        {
          actions: ['events:PutEvents'],
          resources: ['arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default'],
          condition: { StringEquals: { 'events:source': 'lwa-token-service' } },
        },
      ]);
    });

    test('its role cannot read any token secret: no resource or key condition names the token prefix', () => {
      const statements: PolicyStatement[] = statementsOfRole(template, ROTATION_ROLE);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        for (const resource of resourcesOf(statement).map(flatten)) {
          expect(resource).not.toMatch(TOKEN_PREFIX_RESOURCE);
        }
        // Also catches a key grant conditioned on the token-secret ARNs.
        expect(JSON.stringify(statement)).not.toMatch(TOKEN_PREFIX_RESOURCE);
      }
    });
  });

  describe('refresher', () => {
    test('gets STATE_TABLE_NAME, and GetItem and UpdateItem on the rotation records only, to tell expiring from rotating and record the warnings sent', () => {
      const refresher = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
        String(f.Properties.Description).endsWith('expire soon'),
      );
      expect(refresher?.Properties.Environment.Variables.STATE_TABLE_NAME).toEqual({
        Ref: logicalId(stack, service.tokenStore.stateTable),
      });
      const stateTableArn = `<${logicalId(stack, service.tokenStore.stateTable)}.Arn>`;
      const stateTableStatements = statementsOfRole(template, REFRESH_ROLE).filter((statement) =>
        resourcesOf(statement).map(flatten).includes(stateTableArn),
      );
      expect(stateTableStatements).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: expect.anything(),
          Condition: ROTATION_RECORDS_ONLY,
        },
      ]);
    });
  });

  describe('alarms', () => {
    test('AppCredentialFaults >= 1 in 5 minutes, saying what to do', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'LwaTokenService',
        MetricName: 'AppCredentialFaults',
        Dimensions: [{ Name: 'service', Value: 'refresher' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: Match.stringLikeRegexp('invalid_client.*npx lwa-tokens client-secret-status'),
      });
    });

    test('ClientSecretExpiring >= 1, saying where to register the queue and how to rotate by hand', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'LwaTokenService',
        MetricName: 'ClientSecretExpiring',
        Dimensions: [{ Name: 'service', Value: 'refresher' }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: Match.stringLikeRegexp(
          'NotificationQueueArn.*Notification preferences.*npx lwa-tokens rotate-client-secret',
        ),
      });
    });

    test('notification dead-letter queue depth >= 1, saying to redrive rather than purge', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmDescription: Match.stringLikeRegexp('redrive.*Do not purge'),
      });
    });

    test('each alarm is a public field, so an alarm topic can be attached', () => {
      const rotation = rotationOf(service);
      for (const alarm of [
        rotation.appCredentialFaultsAlarm,
        rotation.clientSecretExpiringAlarm,
        rotation.notificationDeadLetterAlarm,
      ]) {
        expect(template.toJSON().Resources[logicalId(stack, alarm)]?.Type).toBe('AWS::CloudWatch::Alarm');
      }
    });
  });
});

describe('applicationRegion and spApiEndpoints', () => {
  test('EU and an emulator endpoint reach the rotation function, merged over the defaults', () => {
    const { template } = synth({
      applicationRegion: LwaRegion.EU,
      spApiEndpoints: { EU: 'http://127.0.0.1:4020' },
    });
    const env = rotationEnv(template);
    expect(env.APPLICATION_REGION).toBe('EU');
    expect(JSON.parse(env.SPAPI_ENDPOINTS as string)).toEqual({
      NA: 'https://sellingpartnerapi-na.amazon.com',
      EU: 'http://127.0.0.1:4020',
      FE: 'https://sellingpartnerapi-fe.amazon.com',
    });
  });

  test.each([
    [{ applicationRegion: 'US' as never }, /applicationRegion must be one of NA, EU, FE/],
    [
      { spApiEndpoints: { US: 'https://example.com' } as never },
      /spApiEndpoints keys must be among NA, EU, FE/,
    ],
    [
      { spApiEndpoints: { NA: 'http://sellingpartnerapi.example.com' } },
      /spApiEndpoints\.NA must be an https:\/\/ URL/,
    ],
    [
      { spApiEndpoints: { FE: 'https://sellingpartnerapi-fe.amazon.com/' } },
      /spApiEndpoints\.FE must be a base URL/,
    ],
  ])('rejects %j', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('imported app secret', () => {
  const APP_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lwa/app-credentials-AbCdEf';
  const APP_SECRET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  test('the rotation function writes that secret and uses its key only through Secrets Manager for it', () => {
    const { template } = synth({ appSecretArn: APP_SECRET_ARN, appSecretKeyArn: APP_SECRET_KEY_ARN });
    const statements = statementsOfRole(template, ROTATION_ROLE);
    expect(statements.filter((s) => resourcesOf(s).includes(APP_SECRET_ARN)).map(actionsOf)).toEqual([
      ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
    ]);
    expect(statements.filter((s) => resourcesOf(s).includes(APP_SECRET_KEY_ARN))).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: APP_SECRET_KEY_ARN,
        Condition: {
          StringEquals: {
            'kms:ViaService': expect.anything(),
            'kms:EncryptionContext:SecretARN': APP_SECRET_ARN,
          },
        },
      },
    ]);
  });
});

describe('stack output', () => {
  test('NotificationQueueArn is the notification queue ARN', () => {
    const stack = new LwaTokenStack(appWithoutBundling(), 'OutputStack');
    const queueId = logicalId(stack, rotationOf(stack.service).notificationQueue);
    const outputs = Template.fromStack(stack).findOutputs('NotificationQueueArn');
    expect(outputs.NotificationQueueArn?.Value).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(outputs.NotificationQueueArn?.Description).toMatch(/Notification preferences/);
  });
});
