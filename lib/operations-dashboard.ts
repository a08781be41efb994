import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  DefaultDashboards,
  type IDynamicDashboardFactory,
  type IDynamicDashboardSegment,
  MonitoringFacade,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import type { SellerAuthorizationApi } from './seller-authorization-api';
import { refresherMetric, type TokenRefresher } from './token-refresher';

/** Props of {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** The refresher whose metrics and limits are shown. */
  readonly refresher: TokenRefresher;
  /** The API whose callback outcomes are shown. */
  readonly authorizationApi: SellerAuthorizationApi;
  /**
   * Seconds into its tick after which a refresh run takes no new work, drawn on the duration graph.
   * @default - the refresher's `runWorkSeconds`: 57 on the default `rate(1 minute)` schedule
   */
  readonly runBudgetSeconds?: number;
}

/**
 * cdk-monitoring-constructs' default factory requires a physical dashboard name (which would block
 * two stacks in one account) and creates three dashboards; this one collects the facade's detail
 * widgets into one dashboard that CloudFormation names.
 */
class SingleDashboardFactory extends Construct implements IDynamicDashboardFactory {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      defaultInterval: Duration.hours(3),
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });
  }

  addDynamicSegment(segment: IDynamicDashboardSegment): void {
    const widgets = segment.widgetsForDashboard(DefaultDashboards.DETAIL);
    if (widgets.length > 0) this.dashboard.addWidgets(...widgets);
  }

  getDashboard(type: string): cloudwatch.Dashboard | undefined {
    return type === DefaultDashboards.DETAIL ? this.dashboard : undefined;
  }
}

const ONE_MINUTE = Duration.minutes(1);

/**
 * The operator's CloudWatch dashboard: refreshes, rotations, failures, expired tokens, the write
 * rate against its cap, run duration against its budget, callback outcomes and sellers by status.
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { refresher, authorizationApi: api } = props;
    const runBudgetSeconds = props.runBudgetSeconds ?? props.refresher.runWorkSeconds;
    const factory = new SingleDashboardFactory(this, 'Dashboard');
    this.dashboard = factory.dashboard;

    // Each refresh is one PutSecretValue; retries are more. Summed per minute and divided by 60,
    // this is the average rate; runs work for 50 s of each minute, so the peak is up to 1.2× it.
    const writesPerSecond = new cloudwatch.MathExpression({
      expression: '(refreshed + retries) / 60',
      usingMetrics: {
        refreshed: refresherMetric('SellersRefreshed', cloudwatch.Stats.SUM, ONE_MINUTE),
        retries: refresherMetric('SecretWriteRetries', cloudwatch.Stats.SUM, ONE_MINUTE),
      },
      label: 'Secrets Manager writes/s (average per minute)',
      period: ONE_MINUTE,
    });
    const status = (value: string) =>
      new cloudwatch.Metric({
        namespace: DEFAULTS.metricsNamespace,
        metricName: 'SellersByStatus',
        dimensionsMap: { service: 'refresher', status: value },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
        label: value,
      });

    new MonitoringFacade(this, 'Monitoring', { dashboardFactory: factory }).monitorCustom({
      alarmFriendlyName: 'LwaTokenService',
      humanReadableName: 'LWA token service',
      description:
        'Token refreshes and seller authorizations. Every alarm description says what to do; see the README, "Operating it".',
      metricGroups: [
        {
          title: 'Refreshes per minute',
          metrics: [
            refresherMetric('SellersRefreshed', cloudwatch.Stats.SUM, ONE_MINUTE).with({
              label: 'refreshed',
            }),
            refresherMetric('SellersDue', cloudwatch.Stats.SUM, ONE_MINUTE).with({ label: 'due' }),
          ],
        },
        {
          title: 'Rotations stored',
          metrics: [
            refresherMetric('RotationsStored', cloudwatch.Stats.SUM).with({ label: 'rotations stored' }),
            refresherMetric('UnpersistedRotations', cloudwatch.Stats.SUM).with({ label: 'unpersisted' }),
          ],
        },
        {
          title: 'Degraded and reauth-required',
          metrics: [
            refresherMetric('RefreshDegraded', cloudwatch.Stats.SUM).with({ label: 'degraded' }),
            refresherMetric('ReauthRequired', cloudwatch.Stats.SUM).with({ label: 'reauth required' }),
          ],
        },
        {
          title: 'Tokens expired',
          metrics: [refresher.tokensExpiredMetric.with({ label: 'expired, refreshable' })],
          horizontalAnnotations: [{ value: 0, label: 'alarm above 0', color: '#d62728' }],
        },
        {
          title: 'Secrets Manager writes per second',
          metrics: [writesPerSecond],
          horizontalAnnotations: [
            { value: refresher.secretsWritesPerSecond, label: 'refresher cap' },
            { value: 50, label: 'account quota (shared)', color: '#d62728' },
          ],
        },
        {
          title: 'Refresh run duration',
          metrics: [
            refresher.refreshFunction
              .metricDuration({ statistic: cloudwatch.Stats.MAXIMUM, period: ONE_MINUTE })
              .with({ label: 'longest run (ms)' }),
          ],
          horizontalAnnotations: [
            { value: runBudgetSeconds * 1000, label: 'runs stop taking work' },
            {
              value: refresher.refreshFunction.timeout?.toMilliseconds() ?? 300_000,
              label: 'timeout',
              color: '#d62728',
            },
          ],
        },
        {
          title: 'Callback outcomes',
          metrics: [
            api.metricCallback('Count').with({ label: 'callbacks' }),
            api.metricCallback('4XXError').with({ label: 'rejected (4xx)' }),
            api.metricCallback('5XXError').with({ label: 'failed (5xx)' }),
          ],
        },
        {
          title: 'Sellers by status',
          metrics: ['ACTIVE', 'DEGRADED', 'REAUTH_REQUIRED', 'ACCESS_ONLY'].map(status),
        },
      ],
    });
  }
}
