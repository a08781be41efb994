import type { Template } from 'aws-cdk-lib/assertions';
import { EVENT_SOURCE } from '../../lambda/shared/lifecycle-events';
import { LIFECYCLE_EVENT_SOURCE } from '../../lib/lifecycle-events';
import { LwaTokenStack } from '../../lib/lwa-token-stack';
import {
  actionsOf,
  appWithoutBundling,
  flatten,
  type PolicyStatement,
  policyStatements,
  resourcesOf,
  statementsOfRole,
  templateOf,
} from './helpers';

// Every function role's policy, statement by statement, so that any widened grant (an action, a
// resource or a dropped condition) fails here. The device routes are on so their role is covered.
let template: Template;

beforeAll(() => {
  const stack = new LwaTokenStack(appWithoutBundling(), 'PermissionsStack', {
    service: { deviceAuthorizationApi: true },
  });
  template = templateOf(stack);
});

/** A statement as comparable text: logical-ID hashes dropped, actions sorted, values flattened. */
interface ReadableStatement {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, string | string[]>>;
}

const withoutHash = (text: string) => text.replace(/([A-Za-z0-9])[0-9A-F]{8}(?=[.>])/g, '$1');

function readable(statement: PolicyStatement): ReadableStatement {
  expect(statement.Effect).toBe('Allow');
  const conditions =
    statement.Condition === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(statement.Condition).map(([operator, keys]) => [
            operator,
            Object.fromEntries(
              Object.entries(keys).map(([key, value]) => [
                key,
                Array.isArray(value)
                  ? value.map((v) => withoutHash(flatten(v)))
                  : withoutHash(flatten(value)),
              ]),
            ),
          ]),
        );
  return {
    actions: [...actionsOf(statement)].sort(),
    resources: resourcesOf(statement).map((resource) => withoutHash(flatten(resource))),
    ...(conditions === undefined ? {} : { conditions }),
  };
}

const byText = (a: ReadableStatement, b: ReadableStatement) =>
  JSON.stringify(a).localeCompare(JSON.stringify(b));

function statementsOf(rolePrefix: string): ReadableStatement[] {
  return statementsOfRole(template, rolePrefix).map(readable).sort(byText);
}

const KEY = '<LwaTokenServiceStoreKey.Arn>';
const APP_SECRET = '<LwaTokenServiceStoreAppSecret>';
const STATE_TABLE = '<LwaTokenServiceStoreStateTable.Arn>';
const SELLER_TABLE = '<LwaTokenServiceStoreSellerTable.Arn>';
const TOKEN_SECRETS =
  'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:lwa-tokens/*';
const DEFAULT_BUS = 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default';
const VIA_SECRETS_MANAGER = 'secretsmanager.<AWS::Region>.amazonaws.com';
const VIA_DYNAMODB = 'dynamodb.<AWS::Region>.amazonaws.com';

const logsOf = (handler: string): ReadableStatement => ({
  actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  resources: [`<${handler}LogGroup.Arn>`],
});
const XRAY: ReadableStatement = {
  actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  resources: ['*'],
};
const READ_APP_SECRET: ReadableStatement[] = [
  { actions: ['secretsmanager:GetSecretValue'], resources: [APP_SECRET] },
  {
    actions: ['kms:Decrypt'],
    resources: [KEY],
    conditions: {
      StringEquals: { 'kms:ViaService': VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': APP_SECRET },
    },
  },
];
const TABLE_KEY_FOR_WRITES: ReadableStatement = {
  actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
  resources: [KEY],
  conditions: { StringEquals: { 'kms:ViaService': VIA_DYNAMODB } },
};
const TOKEN_KEY_THROUGH_SECRETS_MANAGER: ReadableStatement = {
  actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
  resources: [KEY],
  conditions: {
    StringEquals: { 'kms:ViaService': VIA_SECRETS_MANAGER },
    StringLike: { 'kms:EncryptionContext:SecretARN': TOKEN_SECRETS },
  },
};

/** Create (with the stack's key and only these tag keys), put and tag token secrets: no read. */
function writeTokens(tagKeys: string[]): ReadableStatement[] {
  return [
    {
      actions: ['secretsmanager:CreateSecret'],
      resources: [TOKEN_SECRETS],
      conditions: {
        StringEquals: { 'secretsmanager:KmsKeyArn': KEY },
        'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys },
      },
    },
    { actions: ['secretsmanager:PutSecretValue'], resources: [TOKEN_SECRETS] },
    {
      actions: ['secretsmanager:TagResource'],
      resources: [TOKEN_SECRETS],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys } },
    },
    TOKEN_KEY_THROUGH_SECRETS_MANAGER,
  ];
}

const putEvents = (source: string): ReadableStatement => ({
  actions: ['events:PutEvents'],
  resources: [DEFAULT_BUS],
  conditions: { StringEquals: { 'events:source': source } },
});

const expected = (statements: ReadableStatement[]) => [...statements].sort(byText);

describe('each function role allows exactly what its code calls', () => {
  test.each([
    ['Authorize', 'LwaTokenServiceAuthorizationApiAuthorizeHandler'],
    ['Login', 'LwaTokenServiceAuthorizationApiLoginHandler'],
  ])(
    '%s: PutItem of a new state only; no secret (applicationId and draft come from its environment)',
    (_name, handler) => {
      expect(statementsOf(`${handler}Role`)).toEqual(
        expected([
          logsOf(handler),
          XRAY,
          { actions: ['dynamodb:PutItem'], resources: [STATE_TABLE] },
          TABLE_KEY_FOR_WRITES,
        ]),
      );
    },
  );

  test('Callback: writes token secrets without reading any, tagged sellerId and region', () => {
    const handler = 'LwaTokenServiceAuthorizationApiCallbackHandler';
    expect(statementsOf(`${handler}Role`)).toEqual(
      expected([
        logsOf(handler),
        XRAY,
        ...READ_APP_SECRET,
        { actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem'], resources: [STATE_TABLE] },
        TABLE_KEY_FOR_WRITES,
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [SELLER_TABLE],
        },
        ...writeTokens(['sellerId', 'region']),
        putEvents('lwa-token-service'),
      ]),
    );
  });

  test('Device: writes token secrets without reading any, tagged accountId and region', () => {
    const handler = 'LwaTokenServiceAuthorizationApiDeviceHandler';
    expect(statementsOf(`${handler}Role`)).toEqual(
      expected([
        logsOf(handler),
        XRAY,
        ...READ_APP_SECRET,
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [STATE_TABLE],
        },
        TABLE_KEY_FOR_WRITES,
        { actions: ['dynamodb:UpdateItem'], resources: [SELLER_TABLE] },
        ...writeTokens(['accountId', 'region']),
      ]),
    );
  });

  test('Refresher: reads and writes token secrets, queries the byRegion index, puts its events', () => {
    const handler = 'LwaTokenServiceRefresherRefreshHandler';
    expect(statementsOf(`${handler}Role`)).toEqual(
      expected([
        logsOf(handler),
        XRAY,
        {
          actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          resources: ['<LwaTokenServiceRefresherDeadLetterQueue.Arn>'],
        },
        ...READ_APP_SECRET,
        ...writeTokens(['sellerId', 'scope', 'region']),
        {
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          resources: [TOKEN_SECRETS],
        },
        {
          actions: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
          resources: [SELLER_TABLE],
        },
        { actions: ['dynamodb:Query'], resources: [`${SELLER_TABLE}/index/byRegion`] },
        TABLE_KEY_FOR_WRITES,
        putEvents('lwa-token-service'),
        {
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resources: [STATE_TABLE],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['client-secret-rotation#*'] } },
        },
      ]),
    );
  });

  test('Refresher schedule: invokes the refresher and dead-letters to its queue', () => {
    expect(statementsOf('LwaTokenServiceRefresherScheduleRole')).toEqual(
      expected([
        {
          actions: ['lambda:InvokeFunction'],
          resources: ['<LwaTokenServiceRefresherRefreshHandlerFunction.Arn>'],
        },
        { actions: ['sqs:SendMessage'], resources: ['<LwaTokenServiceRefresherDeadLetterQueue.Arn>'] },
      ]),
    );
  });

  test('Client-secret rotation: reads and writes the app secret, its own state items, its events', () => {
    const handler = 'LwaTokenServiceClientSecretRotationRotationHandler';
    expect(statementsOf(`${handler}Role`)).toEqual(
      expected([
        logsOf(handler),
        XRAY,
        {
          actions: [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
          ],
          resources: ['<LwaTokenServiceClientSecretRotationNotificationQueue.Arn>'],
        },
        {
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          resources: [APP_SECRET],
        },
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [KEY],
          conditions: {
            StringEquals: {
              'kms:ViaService': VIA_SECRETS_MANAGER,
              'kms:EncryptionContext:SecretARN': APP_SECRET,
            },
          },
        },
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [STATE_TABLE],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['client-secret-rotation#*'] } },
        },
        TABLE_KEY_FOR_WRITES,
        {
          actions: ['sqs:SendMessage'],
          resources: ['<LwaTokenServiceClientSecretRotationNotificationDeadLetterQueue.Arn>'],
        },
        putEvents('lwa-token-service'),
      ]),
    );
  });

  test('the roles above are every role with a policy', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).map((role) => withoutHash(`<${role.Ref}>`)),
    );
    expect(roles.sort()).toEqual(
      [
        '<LwaTokenServiceAuthorizationApiAuthorizeHandlerRole>',
        '<LwaTokenServiceAuthorizationApiCallbackHandlerRole>',
        '<LwaTokenServiceAuthorizationApiDeviceHandlerRole>',
        '<LwaTokenServiceAuthorizationApiLoginHandlerRole>',
        '<LwaTokenServiceClientSecretRotationRotationHandlerRole>',
        '<LwaTokenServiceRefresherRefreshHandlerRole>',
        '<LwaTokenServiceRefresherScheduleRole>',
      ].sort(),
    );
  });
});

describe('Resource "*"', () => {
  test('only the X-Ray statement of a role uses it', () => {
    const starred = policyStatements(template)
      .filter(({ statement }) => resourcesOf(statement).includes('*'))
      .map(({ statement }) => actionsOf(statement).sort());
    expect(starred.length).toBeGreaterThan(0);
    for (const actions of starred) {
      expect(actions).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  test('no action is a wildcard', () => {
    const wildcards = policyStatements(template).flatMap(({ statement }) =>
      actionsOf(statement).filter((action) => action.includes('*')),
    );
    expect(wildcards).toEqual([]);
  });
});

describe('events:source', () => {
  test('the condition names the source the handlers put their events with', () => {
    expect(LIFECYCLE_EVENT_SOURCE).toBe(EVENT_SOURCE);
  });
});
