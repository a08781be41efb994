import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readAppConfig } from '../../lib/app-context';
import { LwaTokenService, type LwaTokenServiceProps } from '../../lib/lwa-token-service';
import { appWithoutBundling, flatten, onlyResource } from './helpers';

function synth(props: LwaTokenServiceProps = {}): Template {
  const stack = new Stack(appWithoutBundling(), 'TestStack');
  new LwaTokenService(stack, 'Service', props);
  return Template.fromStack(stack);
}

describe('no OAuth values in traces', () => {
  test('the stage does not trace: X-Ray would record the /callback and /login query strings', () => {
    const stage = onlyResource(synth(), 'AWS::ApiGateway::Stage');
    expect(stage.Properties.TracingEnabled ?? false).toBe(false);
  });
});

describe('TLS', () => {
  test('the API accepts TLS 1.2 and 1.3 only (an enhanced security policy, basic endpoint access)', () => {
    const api = onlyResource(synth(), 'AWS::ApiGateway::RestApi');
    expect(api.Properties.SecurityPolicy).toBe('SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09');
    expect(api.Properties.EndpointAccessMode).toBe('BASIC');
  });
});

describe('rateLimitPerIp', () => {
  test('creates a regional web ACL with a per-IP rate-based rule, associated with the stage', () => {
    const template = synth({ rateLimitPerIp: 300 });
    const acl = onlyResource(template, 'AWS::WAFv2::WebACL');
    expect(acl.Properties).toMatchObject({
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false },
    });
    expect(acl.Properties.Rules).toEqual([
      expect.objectContaining({
        Priority: 0,
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: { Limit: 300, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
        },
      }),
    ]);
    const association = onlyResource(template, 'AWS::WAFv2::WebACLAssociation');
    expect(flatten(association.Properties.WebACLArn)).toMatch(
      /^<ServiceAuthorizationApiRateLimitWebAcl\w+\.Arn>$/,
    );
    expect(flatten(association.Properties.ResourceArn)).toMatch(/\/stages\/<\w+DeploymentStageprod\w+>$/);
  });

  test('is off by default: no web ACL', () => {
    synth().resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  test.each([9, 2_000_000_001, 1.5])(
    'rejects %s (WAF takes 10 to 2,000,000,000 requests per 5 minutes)',
    (limit) => {
      expect(() => synth({ rateLimitPerIp: limit })).toThrow(/rateLimitPerIp/);
    },
  );

  test('cannot be combined with webAclArn: a stage takes one web ACL', () => {
    expect(() =>
      synth({
        rateLimitPerIp: 300,
        webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/lwa/1234',
      }),
    ).toThrow(/rateLimitPerIp.*webAclArn|webAclArn.*rateLimitPerIp/);
  });

  test('is read from the rateLimitPerIp context key', () => {
    expect(readAppConfig(new App({ context: { rateLimitPerIp: '500' } }).node).service.rateLimitPerIp).toBe(
      500,
    );
  });
});

describe('no client secret where it is not used', () => {
  const functionEnv = (template: Template, route: string) =>
    Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Description === `LWA token service: GET /${route}`,
    )?.Properties.Environment.Variables as Record<string, unknown>;

  test.each(['authorize', 'login'])(
    '/%s gets the application id and draft flag as configuration, and no app secret id',
    (route) => {
      const env = functionEnv(
        synth({
          applicationId: 'amzn1.sp.solution.0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
          draftApplication: true,
        }),
        route,
      );
      expect(env).toMatchObject({
        APPLICATION_ID: 'amzn1.sp.solution.0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
        APPLICATION_DRAFT: 'true',
      });
      expect(env.APP_SECRET_ID).toBeUndefined();
    },
  );

  test('without applicationId the functions get none (and answer 503), and draft defaults to false', () => {
    const env = functionEnv(synth(), 'authorize');
    expect(env.APPLICATION_ID).toBeUndefined();
    expect(env.APPLICATION_DRAFT).toBe('false');
  });

  test('rejects an application id that is not one', () => {
    expect(() => synth({ applicationId: 'my app' })).toThrow(
      /applicationId must be the SP-API application id/,
    );
  });

  test('is read from the applicationId and draftApplication context keys', () => {
    const config = readAppConfig(
      new App({ context: { applicationId: 'amzn1.sp.solution.abc', draftApplication: 'true' } }).node,
    );
    expect(config.service).toMatchObject({ applicationId: 'amzn1.sp.solution.abc', draftApplication: true });
  });
});
