import { createDocumentClient } from '../../lambda/shared/aws-clients';
import { toEpochSeconds } from '../../lambda/shared/clock';
import { SellerStatus } from '../../lambda/shared/seller-table';
import { optionalRegion, parseCommand, parseDuration } from '../args';
import { type Command, writeLine } from '../command';
import { UsageError } from '../errors';
import { type FleetItem, readFleet } from '../fleet';
import { formatTable, formatWhen } from '../format';
import { SETTINGS_HELP, Settings } from '../settings';

const STATUSES: readonly string[] = Object.values(SellerStatus);

const HELP = `Usage: lwa-tokens list [--region NA|EU|FE] [--status STATUS] [--expiring-within 30d] [--json] [settings]

Lists the sellers table: one line per seller (and grantless scope or device account) with its
status, token expiry, next refresh, failures, last error and authorization expiry.

Options:
  --region R             only this region
  --status S             only this status: ${STATUSES.join(', ')}
  --expiring-within D    only items whose authorization expires within D (30d, 12h, …)
  --json                 one JSON array of the items, for scripts (times as epoch seconds)
  --page-size N          items read per request (default: DynamoDB's 1 MB pages)
Progress goes to stderr on listings of more than one page.

${SETTINGS_HELP}`;

export const listCommand: Command = {
  name: 'list',
  summary: 'list sellers with status, token expiry, next refresh and authorization expiry',
  help: HELP,
  async run(argv, context) {
    const { flags } = parseCommand(argv, {
      region: { type: 'string' },
      status: { type: 'string' },
      'expiring-within': { type: 'string' },
      json: { type: 'boolean' },
      'page-size': { type: 'string' },
    });
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    const region = optionalRegion(flags.string('region'));
    const status = flags.string('status')?.toUpperCase();
    if (status !== undefined && !STATUSES.includes(status)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}.`);
    }
    const expiringWithin = flags.string('expiring-within');
    const within =
      expiringWithin === undefined ? undefined : parseDuration(expiringWithin, '--expiring-within');
    const pageSizeFlag = flags.string('page-size');
    const pageSize = pageSizeFlag === undefined ? undefined : Number(pageSizeFlag);
    if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize > 0)) {
      throw new UsageError('--page-size must be a positive integer.');
    }

    const settings = new Settings(flags, context.env);
    const tableName = await settings.require('sellerTableName');
    let pages = 0;
    const items = await readFleet(
      createDocumentClient(),
      tableName,
      { region, status },
      {
        pageSize,
        onPage: (scanned, matched) => {
          pages++;
          if (pages > 1) writeLine(context.stderr, `… read ${scanned} items, ${matched} match`);
        },
      },
    );
    const now = toEpochSeconds(context.clock());
    const selected = items
      .filter(
        (item) =>
          within === undefined ||
          (item.authorizationExpiresAt !== undefined && item.authorizationExpiresAt <= now + within),
      )
      .sort(byRegionThenSeller);

    if (flags.boolean('json')) {
      writeLine(context.stdout, JSON.stringify(selected.map(withoutLease), null, 2));
      return 0;
    }
    if (selected.length === 0) {
      writeLine(context.stdout, 'No sellers match.');
      return 0;
    }
    writeLine(
      context.stdout,
      formatTable(
        [
          'SELLER',
          'REGION',
          'STATUS',
          'TOKEN EXPIRES',
          'NEXT REFRESH',
          'FAILURES',
          'LAST ERROR',
          'AUTHORIZATION EXPIRES',
        ],
        selected.map((item) => [
          item.sellerId,
          item.region,
          item.status,
          formatWhen(item.accessTokenExpiresAt, now),
          formatWhen(item.nextRefreshAt, now),
          String(item.failureCount ?? 0),
          item.lastError ?? '-',
          formatWhen(item.authorizationExpiresAt, now),
        ]),
      ),
    );
    writeLine(context.stdout, `${selected.length} item${selected.length === 1 ? '' : 's'}`);
    return 0;
  },
};

function byRegionThenSeller(a: FleetItem, b: FleetItem): number {
  return a.region.localeCompare(b.region) || a.sellerId.localeCompare(b.sellerId);
}

/** The JSON listing is the item as stored, minus the refresher's private lease bookkeeping. */
function withoutLease(item: FleetItem): Omit<FleetItem, 'leaseOwner' | 'leaseExpiresAt'> {
  const { leaseOwner: _owner, leaseExpiresAt: _until, ...rest } = item;
  return rest;
}
