import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createDocumentClient, createSecretsManagerClient } from '../../lambda/shared/aws-clients';
import { toEpochSeconds } from '../../lambda/shared/clock';
import { SellerStatus } from '../../lambda/shared/seller-table';
import { parseCommand, parseDuration } from '../args';
import { type Command, writeLine } from '../command';
import { awsCall, OperatorError } from '../errors';
import { type FleetItem, REFRESHABLE_STATUSES, readFleet } from '../fleet';
import { formatDuration, formatWhen } from '../format';
import { SETTINGS_HELP, Settings } from '../settings';

const HELP = `Usage: lwa-tokens health [--overdue-after 5m] [--client-secret-warning 7d] [--json] [settings]

Checks the fleet and exits 1 when something needs attention, 0 when all is well, so cron or CI
can run it. It needs attention when:
  - a token the refresher should keep fresh (ACTIVE or DEGRADED) has expired;
  - a refresh is overdue by more than --overdue-after (the refresher runs every minute, so
    this also catches a refresher that stopped running);
  - the client secret expires within --client-secret-warning (clientSecretExpiresAt in the app
    secret), or has expired.
It also prints the counts by status, authorizations expiring within 30 days, and the last
refresh written (the newest lastRefreshedAt: a run that found nothing due writes nothing, so
the overdue check, not this time, tells whether the refresher runs).
It reads clientSecretExpiresAt from the app secret and prints nothing else of it.

Options:
  --overdue-after D           grace before a due refresh counts as overdue (default 5m)
  --client-secret-warning D   warn this long before the client secret expires (default 7d)
  --json                      the findings as JSON

${SETTINGS_HELP}`;

interface Finding {
  readonly check: string;
  readonly detail: string;
}

export const healthCommand: Command = {
  name: 'health',
  summary: 'check the fleet; exits 1 when something needs attention',
  help: HELP,
  async run(argv, context) {
    const { flags } = parseCommand(argv, {
      'overdue-after': { type: 'string' },
      'client-secret-warning': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    const overdueAfter = parseDuration(flags.string('overdue-after') ?? '5m', '--overdue-after');
    const secretWarning = parseDuration(
      flags.string('client-secret-warning') ?? '7d',
      '--client-secret-warning',
    );
    const settings = new Settings(flags, context.env);
    const tableName = await settings.require('sellerTableName');
    const appSecretId = await settings.require('appSecretId');

    let pages = 0;
    const items = await readFleet(
      createDocumentClient(),
      tableName,
      {},
      {
        onPage: (scanned) => {
          pages++;
          if (pages > 1) writeLine(context.stderr, `… read ${scanned} items`);
        },
      },
    );
    const now = toEpochSeconds(context.clock());
    const report = assess(items, now, overdueAfter);
    const clientSecret = await clientSecretExpiry(appSecretId, now, secretWarning);
    const attention = [...report.attention, ...(clientSecret.finding ? [clientSecret.finding] : [])];

    if (flags.boolean('json')) {
      writeLine(
        context.stdout,
        JSON.stringify(
          {
            healthy: attention.length === 0,
            attention,
            countsByStatus: report.counts,
            tokensExpired: report.expired.length,
            oldestOverdue: report.oldestOverdue
              ? {
                  sellerId: report.oldestOverdue.sellerId,
                  region: report.oldestOverdue.region,
                  nextRefreshAt: report.oldestOverdue.nextRefreshAt,
                }
              : null,
            authorizationsExpiringWithin30Days: report.authorizationsExpiring,
            clientSecretExpiresAt: clientSecret.expiresAt ?? null,
            lastRefreshAt: report.lastRefreshAt ?? null,
          },
          null,
          2,
        ),
      );
      return attention.length === 0 ? 0 : 1;
    }

    const out = (text = '') => writeLine(context.stdout, text);
    out(`Sellers table ${tableName}: ${items.length} item${items.length === 1 ? '' : 's'}`);
    for (const [status, count] of Object.entries(report.counts)) out(`  ${status.padEnd(16)}${count}`);
    out(`Tokens expired now:       ${report.expired.length}`);
    out(
      `Oldest overdue refresh:   ${
        report.oldestOverdue
          ? `${report.oldestOverdue.sellerId} (${report.oldestOverdue.region}), due ${formatWhen(report.oldestOverdue.nextRefreshAt, now)}`
          : 'none'
      }`,
    );
    out(`Authorizations expiring within 30 days: ${report.authorizationsExpiring}`);
    out(`Client secret expires:    ${clientSecret.text}`);
    out(`Last refresh written:     ${formatWhen(report.lastRefreshAt, now)}`);
    out();
    if (attention.length === 0) {
      out('Healthy.');
      return 0;
    }
    out(`Needs attention (${attention.length}):`);
    for (const finding of attention) out(`  - ${finding.check}: ${finding.detail}`);
    return 1;
  },
};

interface FleetReport {
  readonly counts: Record<string, number>;
  readonly expired: FleetItem[];
  readonly oldestOverdue?: FleetItem & { nextRefreshAt: number };
  readonly authorizationsExpiring: number;
  readonly lastRefreshAt?: number;
  readonly attention: Finding[];
}

/** The table's findings at `now`. Pure, so the thresholds are easy to reason about. */
export function assess(items: readonly FleetItem[], now: number, overdueAfterSeconds: number): FleetReport {
  const counts: Record<string, number> = Object.fromEntries(Object.values(SellerStatus).map((s) => [s, 0]));
  let oldestOverdue: (FleetItem & { nextRefreshAt: number }) | undefined;
  let lastRefreshAt: number | undefined;
  let authorizationsExpiring = 0;
  const expired: FleetItem[] = [];
  for (const item of items) {
    counts[item.status] = (counts[item.status] ?? 0) + 1;
    const refreshable = REFRESHABLE_STATUSES.includes(item.status);
    if (refreshable && item.accessTokenExpiresAt !== undefined && item.accessTokenExpiresAt <= now)
      expired.push(item);
    if (
      item.nextRefreshAt !== undefined &&
      item.nextRefreshAt < now &&
      (!oldestOverdue || item.nextRefreshAt < oldestOverdue.nextRefreshAt)
    ) {
      oldestOverdue = item as FleetItem & { nextRefreshAt: number };
    }
    if (
      item.lastRefreshedAt !== undefined &&
      (lastRefreshAt === undefined || item.lastRefreshedAt > lastRefreshAt)
    ) {
      lastRefreshAt = item.lastRefreshedAt;
    }
    if (item.authorizationExpiresAt !== undefined && item.authorizationExpiresAt <= now + 30 * 86_400) {
      authorizationsExpiring++;
    }
  }
  const attention: Finding[] = [];
  if (expired.length > 0) {
    const sample = expired
      .slice(0, 5)
      .map((item) => `${item.sellerId} (${item.region})`)
      .join(', ');
    attention.push({
      check: 'tokens expired',
      detail: `${expired.length} refreshable token(s) expired without a refresh: ${sample}${expired.length > 5 ? ', …' : ''}. Check the refresher's logs and \`lwa-tokens show\`.`,
    });
  }
  if (oldestOverdue && now - oldestOverdue.nextRefreshAt > overdueAfterSeconds) {
    attention.push({
      check: 'refresh overdue',
      detail: `${oldestOverdue.sellerId} (${oldestOverdue.region}) was due ${formatDuration(now - oldestOverdue.nextRefreshAt)} ago. Is the refresher running (its schedule, errors, throttling)?`,
    });
  }
  return { counts, expired, oldestOverdue, authorizationsExpiring, lastRefreshAt, attention };
}

/** Reads only `clientSecretExpiresAt` from the app secret; the parsed value is dropped at once. */
async function clientSecretExpiry(
  appSecretId: string,
  now: number,
  warningSeconds: number,
): Promise<{ text: string; expiresAt?: string; finding?: Finding }> {
  let expiresAtRaw: unknown;
  try {
    const output = await awsCall('secretsmanager:GetSecretValue', `app secret ${appSecretId}`, () =>
      createSecretsManagerClient().send(new GetSecretValueCommand({ SecretId: appSecretId })),
    );
    expiresAtRaw = (JSON.parse(output.SecretString ?? '{}') as Record<string, unknown>).clientSecretExpiresAt;
  } catch (error) {
    const detail = error instanceof OperatorError ? error.message : 'the app secret is not JSON';
    return {
      text: `unknown (${detail})`,
      finding: { check: 'client secret', detail: `could not read its expiry: ${detail}` },
    };
  }
  if (expiresAtRaw === undefined) {
    return { text: 'not recorded (set clientSecretExpiresAt in the app secret to have it checked)' };
  }
  const expiresAtMs = typeof expiresAtRaw === 'string' ? Date.parse(expiresAtRaw) : Number.NaN;
  if (Number.isNaN(expiresAtMs)) {
    return {
      text: 'unreadable',
      finding: {
        check: 'client secret',
        detail: 'clientSecretExpiresAt in the app secret is not an ISO 8601 time.',
      },
    };
  }
  const expiresAt = toEpochSeconds(expiresAtMs);
  const iso = new Date(expiresAtMs).toISOString();
  const text = formatWhen(expiresAt, now);
  if (expiresAt <= now) {
    return {
      text,
      expiresAt: iso,
      finding: {
        check: 'client secret',
        detail: `expired ${formatDuration(now - expiresAt)} ago; rotate it now (README, "Client-secret rotation").`,
      },
    };
  }
  if (expiresAt - now <= warningSeconds) {
    return {
      text,
      expiresAt: iso,
      finding: {
        check: 'client secret',
        detail: `expires in ${formatDuration(expiresAt - now)}; rotate it before then.`,
      },
    };
  }
  return { text, expiresAt: iso };
}
