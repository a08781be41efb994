import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LwaTokenService } from '../../lib/lwa-token-service';
import {
  actionsOf,
  appWithoutBundling,
  flatten,
  type PolicyStatement,
  resourcesOf,
  statementsOfRole,
} from './helpers';

const TOKEN_SECRETS =
  'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:lwa-tokens/*';

describe('grantReadTokens', () => {
  let template: Template;
  let consumerStatements: PolicyStatement[];
  let roleStatements: PolicyStatement[];

  beforeAll(() => {
    const stack = new Stack(appWithoutBundling(), 'ConsumerStack');
    const service = new LwaTokenService(stack, 'Service');
    const consumer = new lambda.Function(stack, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    service.grantReadTokens(consumer);
    const role = new iam.Role(stack, 'ReaderRole', { assumedBy: new iam.AccountRootPrincipal() });
    service.grantReadTokens(role);

    template = Template.fromStack(stack);
    consumerStatements = statementsOfRole(template, 'ConsumerServiceRole');
    roleStatements = statementsOfRole(template, 'ReaderRole');
  });

  test('grants exactly GetSecretValue on the token prefix and kms:Decrypt via Secrets Manager for it', () => {
    for (const statements of [consumerStatements, roleStatements]) {
      expect(statements).toHaveLength(2);
      const [secrets, key] = statements as [PolicyStatement, PolicyStatement];
      expect(actionsOf(secrets)).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourcesOf(secrets).map(flatten)).toEqual([TOKEN_SECRETS]);

      expect(actionsOf(key)).toEqual(['kms:Decrypt']);
      expect(resourcesOf(key).map(flatten)).toEqual([expect.stringMatching(/^<ServiceStoreKey\w+\.Arn>$/)]);
      expect(flatten(key.Condition?.StringEquals?.['kms:ViaService'])).toBe(
        'secretsmanager.<AWS::Region>.amazonaws.com',
      );
      expect(flatten(key.Condition?.StringLike?.['kms:EncryptionContext:SecretARN'])).toBe(TOKEN_SECRETS);
    }
  });

  test('nothing references the app credentials secret', () => {
    const [appSecretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    expect(appSecretId).toBeDefined();
    for (const statements of [consumerStatements, roleStatements]) {
      expect(JSON.stringify(statements)).not.toContain(appSecretId);
    }
  });

  test('a Lambda consumer gets TOKEN_SECRET_PREFIX', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: { TOKEN_SECRET_PREFIX: 'lwa-tokens' } },
    });
  });
});
