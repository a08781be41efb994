import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LwaTokenService } from '../../lib/lwa-token-service';
import { actionsOf, appWithoutBundling, flatten, statementsOfRole } from './helpers';

type Resource = { Properties: Record<string, unknown> };

function synth(build: (stack: Stack) => void = (stack) => new LwaTokenService(stack, 'Service')) {
  const stack = new Stack(appWithoutBundling(), 'TestStack');
  build(stack);
  return Template.fromStack(stack);
}

function alarmOn(template: Template, metricName: string): Resource['Properties'] {
  // The client-secret rotation's alarms (its own dead-letter queue among them) are asserted in
  // client-secret-rotation.test.ts.
  const matches = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
    .filter(([logicalId]) => !logicalId.includes('ClientSecretRotation'))
    .map(([, alarm]) => alarm)
    .filter((alarm) => (alarm as Resource).Properties.MetricName === metricName) as Resource[];
  expect(matches).toHaveLength(1);
  return (matches[0] as Resource).Properties;
}

describe('alarms', () => {
  const template = synth();

  test.each([
    [
      'TokensExpired',
      'LwaTokenService',
      'Maximum',
      0,
      'GreaterThanThreshold',
      'notBreaching',
      /401s from SP-API.*secretsWritesPerSecond/,
    ],
    [
      'UnpersistedRotations',
      'LwaTokenService',
      'Sum',
      0,
      'GreaterThanThreshold',
      'notBreaching',
      /Unpersisted rotation.*authorize link/,
    ],
    [
      'Invocations',
      'AWS/Lambda',
      'Sum',
      1,
      'LessThanThreshold',
      'breaching',
      /not been invoked for 5 minutes.*schedule is enabled/,
    ],
    [
      '5XXError',
      'AWS/ApiGateway',
      'Sum',
      0,
      'GreaterThanThreshold',
      'notBreaching',
      /GET \/callback answered 5xx.*authorize again/,
    ],
    [
      'ApproximateNumberOfMessagesVisible',
      'AWS/SQS',
      'Maximum',
      1,
      'GreaterThanOrEqualToThreshold',
      'notBreaching',
      /dead-letter queue/,
    ],
    [
      'RunBudgetExhausted',
      'LwaTokenService',
      'Sum',
      4,
      'GreaterThanOrEqualToThreshold',
      'notBreaching',
      /Raise secretsWritesPerSecond/,
    ],
  ])(
    '%s: namespace, statistic, threshold, missing data and a description that says what to do',
    (metric, namespace, statistic, threshold, comparison, missing, description) => {
      const alarm = alarmOn(template, metric);
      expect(alarm).toMatchObject({
        Namespace: namespace,
        Statistic: statistic,
        Threshold: threshold,
        ComparisonOperator: comparison,
        TreatMissingData: missing,
        EvaluationPeriods: expect.any(Number),
      });
      expect(alarm.AlarmDescription).toMatch(description);
      expect(alarm.AlarmName).toBeUndefined();
    },
  );

  test('the not-running alarm watches the refresh function over 5 minutes', () => {
    const alarm = alarmOn(template, 'Invocations');
    expect(alarm.Period).toBe(300);
    expect(flatten(alarm.Dimensions)).toContain('RefresherRefreshHandler');
  });

  test('the callback alarm watches GET /callback of the prod stage, whose method metrics are on', () => {
    const alarm = alarmOn(template, '5XXError');
    expect(alarm.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'Method', Value: 'GET' },
        { Name: 'Resource', Value: '/callback' },
      ]),
    );
    expect(
      flatten(
        (alarm.Dimensions as Array<{ Name: string; Value: unknown }>).find((d) => d.Name === 'Stage')?.Value,
      ),
    ).toContain('Stageprod');
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1callback', MetricsEnabled: true }),
      ]),
    });
  });

  test('the callback alarm never mixes two deployments: ApiName is unique per stack and matches the API', () => {
    const app = appWithoutBundling();
    const stacks = ['Staging', 'Production'].map((id) => {
      const stack = new Stack(app, id);
      new LwaTokenService(stack, 'Service');
      return stack;
    });
    const names = stacks.map((stack) => {
      const t = Template.fromStack(stack);
      const api = Object.values(t.findResources('AWS::ApiGateway::RestApi'))[0] as Resource;
      const dimensions = alarmOn(t, '5XXError').Dimensions as Array<{ Name: string; Value: unknown }>;
      expect(dimensions.find((d) => d.Name === 'ApiName')?.Value).toBe(api.Properties.Name);
      return api.Properties.Name;
    });
    expect(names[0]).not.toBe(names[1]);
  });

  test('alarmTopicArn imports the topic every alarm notifies; both props at once are refused', () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:lwa-ops';
    const imported = synth((stack) => new LwaTokenService(stack, 'Service', { alarmTopicArn: arn }));
    for (const alarm of Object.values(imported.findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
      expect(alarm.Properties.AlarmActions).toEqual([arn]);
    }
    expect(() =>
      synth((stack) => {
        const alarmTopic = new sns.Topic(stack, 'OpsTopic');
        new LwaTokenService(stack, 'Service', { alarmTopic, alarmTopicArn: arn });
      }),
    ).toThrow(/Pass either alarmTopic or alarmTopicArn, not both/);
  });

  test('without alarmTopic the alarms notify nobody', () => {
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm as Resource).Properties.AlarmActions).toBeUndefined();
    }
  });

  test('with alarmTopic every alarm, including one added later, notifies it on ALARM and OK', () => {
    let service: LwaTokenService | undefined;
    const withTopic = synth((stack) => {
      const alarmTopic = new sns.Topic(stack, 'OpsTopic');
      service = new LwaTokenService(stack, 'Service', { alarmTopic });
      service.addAlarm(
        new cloudwatch.Alarm(stack, 'Extra', {
          metric: new cloudwatch.Metric({ namespace: 'LwaTokenService', metricName: 'AppCredentialFaults' }),
          threshold: 1,
          evaluationPeriods: 1,
        }),
      );
    });
    const alarms = Object.values(withTopic.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    // Six of the refresher and the callback, three of the client-secret rotation, and the extra one.
    expect(alarms).toHaveLength(10);
    expect(service?.alarms).toHaveLength(10);
    for (const alarm of alarms) {
      expect(flatten(alarm.Properties.AlarmActions)).toContain('OpsTopic');
      expect(flatten(alarm.Properties.OKActions)).toContain('OpsTopic');
    }
  });
});

describe('lifecycle events', () => {
  test('callback and refresher get the bus name, the refresher the authorize URL, and both PutEvents on it only', () => {
    const template = synth((stack) => {
      const eventBus = new events.EventBus(stack, 'OpsBus');
      new LwaTokenService(stack, 'Service', { eventBus });
    });
    for (const handler of ['ServiceAuthorizationApiCallbackHandler', 'ServiceRefresherRefreshHandler']) {
      const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(handler),
      )?.[1] as Resource;
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(flatten(env.EVENT_BUS_NAME)).toContain('OpsBus');
      if (handler.includes('Refresher')) expect(flatten(env.AUTHORIZE_URL)).toContain('/authorize');
    }
    for (const role of ['ServiceAuthorizationApiCallbackHandler', 'ServiceRefresherRefreshHandler']) {
      const putEvents = statementsOfRole(template, role).filter((s) =>
        actionsOf(s).includes('events:PutEvents'),
      );
      expect(putEvents).toHaveLength(1);
      expect(flatten(putEvents[0]?.Resource)).toContain('OpsBus');
    }
  });

  test('the default bus is used when none is given, and reauthEventBus still works as its older name', () => {
    const template = synth((stack) => {
      new LwaTokenService(stack, 'Service', {
        reauthEventBus: events.EventBus.fromEventBusName(stack, 'Legacy', 'legacy-bus'),
      });
    });
    const putEvents = statementsOfRole(template, 'ServiceAuthorizationApiCallbackHandler').filter((s) =>
      actionsOf(s).includes('events:PutEvents'),
    );
    expect(flatten(putEvents[0]?.Resource)).toContain('event-bus/legacy-bus');
    const byDefault = statementsOfRole(synth(), 'ServiceAuthorizationApiCallbackHandler').filter((s) =>
      actionsOf(s).includes('events:PutEvents'),
    );
    expect(flatten(byDefault[0]?.Resource)).toContain('event-bus/default');
  });
});

describe('dashboard', () => {
  const template = synth();

  function widgets(): Array<{ type: string; properties: Record<string, unknown> }> {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBeUndefined();
    // The body is a Fn::Join of literal JSON and tokens; the literal parts are enough here.
    const body = flatten(dashboards[0]?.Properties.DashboardBody).replace(
      /"?\{[^{}]*"(Ref|Fn::[A-Za-z]+)"[^{}]*\}"?/g,
      '"TOKEN"',
    );
    return (JSON.parse(body) as { widgets: Array<{ type: string; properties: Record<string, unknown> }> })
      .widgets;
  }

  const graph = (title: string) => {
    const widget = widgets().find((w) => w.type === 'metric' && w.properties.title === title);
    expect(widget).toBeDefined();
    return JSON.stringify(widget?.properties);
  };

  test('has one graph per operator question', () => {
    const titles = widgets()
      .filter((w) => w.type === 'metric')
      .map((w) => w.properties.title);
    expect(titles).toEqual([
      'Refreshes per minute',
      'Rotations stored',
      'Degraded and reauth-required',
      'Tokens expired',
      'Secrets Manager writes per second',
      'Refresh run duration',
      'Callback outcomes',
      'Sellers by status',
    ]);
  });

  test('draws each graph from the metric it names, with its limits', () => {
    expect(graph('Refreshes per minute')).toMatch(/SellersRefreshed.*"period":60/);
    expect(graph('Rotations stored')).toContain('RotationsStored');
    expect(graph('Degraded and reauth-required')).toMatch(/RefreshDegraded.*ReauthRequired/);
    expect(graph('Tokens expired')).toContain('TokensExpired');
    expect(graph('Secrets Manager writes per second')).toMatch(/\(refreshed \+ retries\) \/ 60/);
    expect(graph('Secrets Manager writes per second')).toMatch(
      /"value":20,"label":"refresher cap".*"value":50/,
    );
    expect(graph('Refresh run duration')).toMatch(
      /Duration.*"value":57000,"label":"runs stop taking work".*"value":300000/,
    );
    expect(graph('Callback outcomes')).toMatch(/"Count".*"4XXError".*"5XXError"/);
    expect(graph('Sellers by status')).toMatch(
      /SellersByStatus.*ACTIVE.*DEGRADED.*REAUTH_REQUIRED.*ACCESS_ONLY/,
    );
  });

  test('can be turned off', () => {
    synth((stack) => new LwaTokenService(stack, 'Service', { dashboard: false })).resourceCountIs(
      'AWS::CloudWatch::Dashboard',
      0,
    );
  });
});
