import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { loadRefreshConfig } from '../../lambda/refresh/config';
import { parseScheduledTime } from '../../lambda/refresh/run-deadline';
import { DEFAULTS } from '../../lib/defaults';
import { LwaTokenService, type LwaTokenServiceProps } from '../../lib/lwa-token-service';
import { scheduleTickSeconds } from '../../lib/validation';
import { appWithoutBundling } from './helpers';

function synth(props: LwaTokenServiceProps = {}): Template {
  const stack = new Stack(appWithoutBundling(), 'TestStack');
  new LwaTokenService(stack, 'Service', props);
  return Template.fromStack(stack);
}

function refresherEnv(template: Template): Record<string, string> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String(f.Properties.Description).endsWith('expire soon'),
  );
  if (!fn) throw new Error('no refresh function');
  return fn.Properties.Environment.Variables;
}

function scheduleTarget(template: Template): { Input?: string } {
  const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
  return schedule?.Properties.Target;
}

describe('the refresh schedule tells each run when its successor is due', () => {
  test('the target passes the tick’s scheduled time, which the handler reads', () => {
    // Act
    const template = synth();

    // Assess: Scheduler replaces the placeholder with e.g. 2026-01-05T10:00:00Z
    const input = scheduleTarget(template).Input as string;
    expect(JSON.parse(input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    const delivered = JSON.parse(input.replace('<aws.scheduler.scheduled-time>', '2026-01-05T10:00:00Z'));
    expect(parseScheduledTime(delivered, Date.parse('2026-01-05T10:00:01Z'), 60)).toEqual({
      kind: 'valid',
      scheduledTimeMs: Date.parse('2026-01-05T10:00:00Z'),
    });
  });

  test('the default rate(1 minute) schedule gives the handler a 60 s tick and the 3 s drain', () => {
    // Act
    const env = refresherEnv(synth());

    // Assess
    expect(env).toMatchObject({ REFRESH_TICK_SECONDS: '60', REFRESH_DRAIN_SECONDS: '3' });
    const config = loadRefreshConfig({
      SELLER_TABLE_NAME: 'sellers',
      APP_SECRET_ID: 'app',
      TOKEN_KMS_KEY_ID: 'key',
      LWA_ENDPOINTS: JSON.stringify(DEFAULTS.lwaEndpoints),
    });
    // The handler's own default drain is the construct's.
    expect(config.drainSeconds).toBe(DEFAULTS.refreshDrain.toSeconds());
  });

  test.each([
    [20, 8, '3'],
    [5, 8, '3'],
    [2, 8, '5'],
    [1, 8, '9'],
    [1, 2, '3'],
  ])(
    'at %p writes/s with %p workers the drain covers the writes queued at the deadline (REFRESH_DRAIN_SECONDS %s)',
    (secretsWritesPerSecond, refreshConcurrency, drain) => {
      // Act: each worker may hold a seller whose write waits for one of the cap's slots
      const template = synth({ secretsWritesPerSecond, refreshConcurrency });

      // Assess
      expect(refresherEnv(template).REFRESH_DRAIN_SECONDS).toBe(drain);
    },
  );

  test('refuses more workers than the cap can drain in half a tick', () => {
    // Prepare
    const build = (refreshConcurrency: number) => () =>
      new LwaTokenService(new Stack(appWithoutBundling(), 'TestStack'), 'Service', {
        secretsWritesPerSecond: 1,
        refreshConcurrency,
      });

    // Assess: 64 workers at 1 write/s queue 64 s of writes; 29 is the most that leave a run 30 s
    expect(build(64)).toThrow(
      /refreshConcurrency 64 at secretsWritesPerSecond 1 leaves writes queued for 64 seconds.*lower refreshConcurrency to at most 29/,
    );
    expect(build(29)).not.toThrow();
  });

  test('a rate(5 minutes) schedule gives a 300 s tick, and needs a timeout of a tick plus the stop margin', () => {
    // Prepare
    const schedule = ScheduleExpression.expression('rate(5 minutes)');
    const build = (refreshTimeout?: Duration) => () =>
      new LwaTokenService(new Stack(appWithoutBundling(), 'TestStack'), 'Service', {
        refreshSchedule: schedule,
        refreshTimeout,
      });

    // Act
    const env = refresherEnv(synth({ refreshSchedule: schedule, refreshTimeout: Duration.minutes(6) }));

    // Assess
    expect(env.REFRESH_TICK_SECONDS).toBe('300');
    expect(build()).toThrow(/refreshTimeout must be from 360 seconds to 15 minutes.*got 300 seconds/);
    expect(build(Duration.minutes(6))).not.toThrow();
  });

  test('a cron schedule has no fixed tick: no REFRESH_TICK_SECONDS, and the 50 s budget’s 110 s timeout suffices', () => {
    // Prepare
    const props = {
      refreshSchedule: ScheduleExpression.expression('cron(0/2 * * * ? *)'),
      refreshTimeout: Duration.seconds(110),
    };

    // Act
    const env = refresherEnv(synth(props));

    // Assess
    expect(env.REFRESH_TICK_SECONDS).toBeUndefined();
    expect(env.REFRESH_DRAIN_SECONDS).toBe('3');
  });

  test('a period longer than a Lambda can run asks for the longest timeout', () => {
    // Prepare
    const build = (refreshTimeout: Duration) => () =>
      new LwaTokenService(new Stack(appWithoutBundling(), 'TestStack'), 'Service', {
        refreshSchedule: ScheduleExpression.expression('rate(1 hour)'),
        refreshTimeout,
      });

    // Assess
    expect(build(Duration.minutes(14))).toThrow(/refreshTimeout must be from 900 seconds/);
    expect(build(Duration.minutes(15))).not.toThrow();
  });
});

describe('scheduleTickSeconds', () => {
  test.each([
    ['rate(1 minute)', 60],
    ['rate(2 minutes)', 120],
    ['rate(1 hour)', 3600],
    ['rate(3 hours)', 10_800],
    ['rate(1 day)', 86_400],
    ['cron(0/2 * * * ? *)', undefined],
    ['at(2026-01-05T10:00:00)', undefined],
    ['rate(0 minutes)', undefined],
    ['rate(1 fortnight)', undefined],
  ])('%s → %p', (expression, expected) => {
    expect(scheduleTickSeconds(expression)).toBe(expected);
  });

  test('reads what ScheduleExpression.rate renders', () => {
    expect(scheduleTickSeconds(ScheduleExpression.rate(Duration.minutes(1)).expressionString)).toBe(60);
    expect(scheduleTickSeconds(ScheduleExpression.rate(Duration.minutes(10)).expressionString)).toBe(600);
  });
});
