import { App, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { LwaTokenStack } from '../../lib/lwa-token-stack';
import { actionsOf, policyStatements, readValidationReport, templateOf } from './helpers';

// One bundled synth with the device routes on, checked by both nag packs.
let app: App;
let template: Template;
let report: ReturnType<typeof readValidationReport>;

beforeAll(() => {
  app = new App();
  const stack = new LwaTokenStack(app, 'DeviceStack', { service: { deviceAuthorizationApi: true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const assembly = app.synth();
  report = readValidationReport(assembly);
  template = templateOf(stack);
});

describe('device authorization API (deviceAuthorizationApi: true)', () => {
  test('POST /device/authorizations validates a {region, scope} body; GET /device/authorizations/{id} needs the id', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const post = methods.find((m) => m.Properties.HttpMethod === 'POST');
    expect(post?.Properties.RequestValidatorId).toBeDefined();
    expect(Object.keys(post?.Properties.RequestModels ?? {})).toEqual(['application/json']);
    const model = Object.values(template.findResources('AWS::ApiGateway::Model'))[0];
    expect(model?.Properties.Schema).toMatchObject({
      required: ['region', 'scope'],
      properties: { region: { enum: ['NA', 'EU', 'FE'] } },
    });
    const get = methods.find((m) => m.Properties.RequestParameters?.['method.request.path.id'] === true);
    expect(get?.Properties.HttpMethod).toBe('GET');
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{id}' });
  });

  test('its function runs on nodejs24.x/arm64 with the handler environment, and may write token secrets', () => {
    const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.Description === 'LWA token service: device authorization API',
    );
    expect(fn?.[1].Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(Object.keys(fn?.[1].Properties.Environment.Variables).sort()).toEqual(
      expect.arrayContaining([
        'APP_SECRET_ID',
        'LWA_ENDPOINTS',
        'SELLER_TABLE_NAME',
        'STATE_TABLE_NAME',
        'TOKEN_KMS_KEY_ID',
      ]),
    );
    const deviceActions = policyStatements(template)
      .filter(({ policy }) => policy.includes('DeviceHandler'))
      .flatMap(({ statement }) => actionsOf(statement));
    expect(deviceActions).toEqual(
      expect.arrayContaining(['secretsmanager:PutSecretValue', 'dynamodb:UpdateItem']),
    );
    expect(deviceActions).not.toContain('dynamodb:Query');
  });

  test('the stack outputs the device URL and the key ARN for the CLI', () => {
    template.hasOutput('DeviceAuthorizationsUrl', {});
    template.hasOutput('TokenKmsKeyArn', {});
  });

  test('cdk-nag reports no unacknowledged findings with the device routes on', () => {
    const findings = report.pluginReports.flatMap((plugin) =>
      plugin.violations.map((v) => `${plugin.pluginName}: ${v.ruleName}`),
    );
    expect(findings).toEqual([]);
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      expect(pack.validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
    }
  });
});

test('the device routes are off by default', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new LwaTokenStack(app, 'DefaultStack');
  const defaults = templateOf(stack);
  expect(
    Object.values(defaults.findResources('AWS::ApiGateway::Method')).some(
      (m) => m.Properties.HttpMethod === 'POST',
    ),
  ).toBe(false);
});
