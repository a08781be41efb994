import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { readAppConfig } from '../../lib/app-context';

function read(context: Record<string, unknown>) {
  return readAppConfig(new App({ context }).node);
}

describe('readAppConfig', () => {
  test('no context: default stack name and no service overrides', () => {
    expect(read({})).toEqual({ stackName: 'LwaTokenService', service: {} });
  });

  test('command-line strings are parsed into typed props', () => {
    const config = read({
      stackName: 'LwaTokensStaging',
      appSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf',
      tokenSecretPrefix: 'staging/lwa',
      lwaEndpoints: '{"NA":"http://127.0.0.1:4010"}',
      refreshRegions: 'NA, EU',
      refreshSchedule: 'rate(5 minutes)',
      secretsWritesPerSecond: '10',
      logRetentionDays: '30',
      apiThrottleRate: '5',
      apiThrottleBurst: '10',
    });
    expect(config.stackName).toBe('LwaTokensStaging');
    expect(config.service).toMatchObject({
      appSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf',
      tokenSecretPrefix: 'staging/lwa',
      lwaEndpoints: { NA: 'http://127.0.0.1:4010' },
      refreshRegions: ['NA', 'EU'],
      secretsWritesPerSecond: 10,
      logRetention: RetentionDays.ONE_MONTH,
      apiThrottlingRateLimit: 5,
      apiThrottlingBurstLimit: 10,
    });
    expect(config.service.refreshSchedule?.expressionString).toBe('rate(5 minutes)');
  });

  test('-c applicationRegion=EU and spApiEndpoints JSON become the rotation props', () => {
    const config = read({ applicationRegion: 'EU', spApiEndpoints: '{"EU":"http://127.0.0.1:4020"}' });
    expect(config.service).toEqual({
      applicationRegion: 'EU',
      spApiEndpoints: { EU: 'http://127.0.0.1:4020' },
    });
  });

  test('alarmTopicArn: an SNS topic ARN every alarm notifies; anything else is named', () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:lwa-ops';
    expect(read({ alarmTopicArn: arn }).service).toEqual({ alarmTopicArn: arn });
    expect(() => read({ alarmTopicArn: 'lwa-ops' })).toThrow(
      /Context key "alarmTopicArn" must be an SNS topic ARN/,
    );
  });

  test('cdk.json values keep their JSON types', () => {
    const config = read({ lwaEndpoints: { EU: 'https://api.amazon.com' }, refreshRegions: ['FE'] });
    expect(config.service).toEqual({
      lwaEndpoints: { EU: 'https://api.amazon.com' },
      refreshRegions: ['FE'],
    });
  });

  test.each([
    [
      { secretsWritesPerSecond: 'twenty' },
      /Context key "secretsWritesPerSecond" must be an integer; got "twenty"/,
    ],
    [{ logRetentionDays: 31 }, /Context key "logRetentionDays" must be a CloudWatch Logs retention/],
    [{ lwaEndpoints: '{not json' }, /Context key "lwaEndpoints" must be a JSON object/],
    [{ applicationRegion: 'US' }, /Context key "applicationRegion" must be one of NA, EU, FE; got "US"/],
    [{ spApiEndpoints: '{"NA":1}' }, /Context key "spApiEndpoints" must be an object of strings/],
    [{ lwaEndpoints: '["NA"]' }, /Context key "lwaEndpoints" must be an object of strings/],
    [
      { refreshSchedule: 'every minute' },
      /Context key "refreshSchedule" must be a rate\(...\) or cron\(...\)/,
    ],
    [{ refreshRegions: 'NA,,EU' }, /Context key "refreshRegions" must be a list of strings/],
    [{ stackName: '' }, /Context key "stackName" must be a non-empty string/],
  ])('rejects %j', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });

  test('-c deployments: one entry per AWS region with its SP-API regions, in the order given', () => {
    const config = read({ deployments: '{"us-east-1":["NA"],"eu-west-1":["EU"],"us-west-2":["FE"]}' });
    expect(config.deployments).toEqual([
      { awsRegion: 'us-east-1', spApiRegions: ['NA'] },
      { awsRegion: 'eu-west-1', spApiRegions: ['EU'] },
      { awsRegion: 'us-west-2', spApiRegions: ['FE'] },
    ]);
    expect(read({ deployments: { 'eu-central-1': ['EU', 'FE'] } }).deployments).toEqual([
      { awsRegion: 'eu-central-1', spApiRegions: ['EU', 'FE'] },
    ]);
    expect(read({}).deployments).toBeUndefined();
  });

  test.each([
    [
      { deployments: '{us-east-1: NA}' },
      /Context key "deployments" must be a JSON object of AWS region to a list/,
    ],
    [{ deployments: '["us-east-1"]' }, /Context key "deployments" must be an object of AWS region/],
    [{ deployments: '{}' }, /Context key "deployments" must name at least one AWS region/],
    [
      { deployments: '{"NA":["NA"]}' },
      /Context key "deployments" has "NA" where an AWS region name such as us-east-1 or eu-west-1 belongs/,
    ],
    [
      { deployments: '{"us-east-1":["US"]}' },
      /Context key "deployments" maps us-east-1 to \["US"\]; give a non-empty list of the SP-API regions NA, EU, FE/,
    ],
    [{ deployments: '{"us-east-1":[]}' }, /maps us-east-1 to \[\]; give a non-empty list/],
    [{ deployments: '{"us-east-1":"NA"}' }, /maps us-east-1 to "NA"; give a non-empty list/],
    [
      { deployments: '{"us-east-1":["NA","EU"],"eu-west-1":["EU"]}' },
      /names the SP-API region EU under both us-east-1 and eu-west-1; each SP-API region must be served by exactly one AWS region/,
    ],
    [
      { deployments: '{"us-east-1":["NA"]}', refreshRegions: 'NA' },
      /Context key "refreshRegions" cannot be combined with deployments/,
    ],
  ])('rejects deployments %j', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});
