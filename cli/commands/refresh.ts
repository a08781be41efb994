import { randomUUID } from 'node:crypto';
import { loadRefreshConfig } from '../../lambda/refresh/config';
import { RefreshRepository } from '../../lambda/refresh/refresh-repository';
import {
  emptyRefreshSummary,
  type RefreshLog,
  refreshOne,
  type SellerOutcome,
} from '../../lambda/refresh/refresher';
import { createRefreshDeps } from '../../lambda/refresh/wiring';
import { createDocumentClient } from '../../lambda/shared/aws-clients';
import { toEpochSeconds } from '../../lambda/shared/clock';
import { ConfigurationError } from '../../lambda/shared/env';
import { SellerStatus } from '../../lambda/shared/seller-table';
import { parseCommand, requireRegion, singlePositional } from '../args';
import { type Command, writeLine } from '../command';
import { OperatorError } from '../errors';
import { type FleetItem, REFRESHABLE_STATUSES, readItem } from '../fleet';
import { formatWhen } from '../format';
import { reauthorizeHint } from '../hints';
import { SETTINGS_HELP, Settings } from '../settings';

const HELP = `Usage: lwa-tokens refresh <sellerId> --region NA|EU|FE [settings]

Refreshes one seller's token now, through the refresher's own code and its single-flight lease:
if a refresh is already running, it says so and does nothing. A token that is still fresh (more
than the refresh lead plus spread left) is not refreshed again; the refresher keeps it so.
Exits 0 when the token is fresh afterwards, 1 otherwise.

It calls Login with Amazon with the app credentials (LWA_ENDPOINTS, JSON region → base URL,
overrides Amazon's hosts) and writes the token secret, so it needs what the refresher needs:
dynamodb:GetItem/UpdateItem on the table, secretsmanager:GetSecretValue on the app secret and
Get/PutSecretValue on the token secret, and kms:Decrypt/GenerateDataKey on the key.

${SETTINGS_HELP}
  --event-bus NAME          bus for lifecycle events (output EventBusName)    [EVENT_BUS_NAME, none if unset]`;

export const refreshCommand: Command = {
  name: 'refresh',
  summary: "refresh one seller's token now, under the refresher's lease",
  help: HELP,
  async run(argv, context) {
    const { flags, positionals } = parseCommand(argv, { region: { type: 'string' } });
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    const sellerId = singlePositional(positionals, 'seller id');
    const region = requireRegion(flags.string('region'));
    const settings = new Settings(flags, context.env);
    const tableName = await settings.require('sellerTableName');
    const documentClient = createDocumentClient();
    const key = { sellerId, region };
    const out = (text: string) => writeLine(context.stdout, text);

    const before = await readItem(documentClient, tableName, key);
    if (!before)
      throw new OperatorError(`No item for seller ${sellerId} in ${region} in table ${tableName}.`);
    const now = toEpochSeconds(context.clock());
    if (isLeased(before, now)) {
      out(alreadyRunning(before, now));
      return 1;
    }
    if (!REFRESHABLE_STATUSES.includes(before.status)) {
      throw new OperatorError(await notRefreshable(before, settings));
    }

    let config: ReturnType<typeof loadRefreshConfig>;
    try {
      config = loadRefreshConfig({
        SELLER_TABLE_NAME: tableName,
        APP_SECRET_ID: await settings.require('appSecretId'),
        TOKEN_SECRET_PREFIX: await settings.require('tokenSecretPrefix'),
        TOKEN_KMS_KEY_ID: await settings.require('kmsKeyId'),
        LWA_ENDPOINTS: context.env.LWA_ENDPOINTS,
        EVENT_BUS_NAME: await settings.optional('eventBusName'),
        REFRESH_REGIONS: region,
      });
    } catch (error) {
      if (error instanceof ConfigurationError) throw new OperatorError(error.message);
      throw error;
    }
    const deps = createRefreshDeps(config, { log: stderrLog(context.stderr), documentClient });
    const summary = emptyRefreshSummary();
    let outcome: SellerOutcome;
    try {
      outcome = await refreshOne(
        { ...deps, repository: new OperatorRefreshRepository(documentClient, tableName) },
        { ...key, nextRefreshAt: before.nextRefreshAt ?? now },
        `lwa-tokens-cli-${randomUUID()}`,
        summary,
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'AppFault') {
        throw new OperatorError(`${error.message} Check the app credentials secret; no seller was marked.`);
      }
      throw error;
    }

    const after = (await readItem(documentClient, tableName, key)) ?? before;
    const later = toEpochSeconds(context.clock());
    if (summary.unpersistedRotations > 0) {
      writeLine(
        context.stderr,
        'LWA rotated the refresh token but it could not be stored: see the error above.',
      );
    }
    switch (outcome) {
      case 'refreshed':
        out(
          `Refreshed ${sellerId} (${region}): the access token expires ${formatWhen(after.accessTokenExpiresAt, later)}; next refresh ${formatWhen(after.nextRefreshAt, later)}.`,
        );
        return 0;
      case 'already-fresh':
        out(
          `${sellerId} (${region}) already has a fresh token (expires ${formatWhen(after.accessTokenExpiresAt, later)}); nothing to do. Next refresh ${formatWhen(after.nextRefreshAt, later)}.`,
        );
        return 0;
      case 'not-leased':
        out(
          isLeased(after, later)
            ? alreadyRunning(after, later)
            : `Could not take the lease: ${sellerId} is ${after.status} now.`,
        );
        return 1;
      case 'reauth-required':
        out(await notRefreshable(after, settings));
        return 1;
      case 'degraded':
        out(
          `The refresh failed (${after.lastError ?? 'unknown error'}); ${sellerId} is ${after.status} and the refresher retries ${formatWhen(after.nextRefreshAt, later)}.`,
        );
        return 1;
      default:
        out(
          `Another refresher took the lease over; run \`lwa-tokens show ${sellerId} --region ${region}\` to see where it stands.`,
        );
        return 1;
    }
  },
};

/** The refresher's repository, except that the operator's lease does not wait for the item to be due. */
class OperatorRefreshRepository extends RefreshRepository {
  override acquireLease(
    key: Parameters<RefreshRepository['acquireLease']>[0],
    owner: string,
    nowSeconds: number,
    leaseSeconds: number,
  ) {
    return super.acquireLease(key, owner, nowSeconds, leaseSeconds, { force: true });
  }
}

function isLeased(item: FleetItem, now: number): boolean {
  return item.leaseExpiresAt !== undefined && item.leaseExpiresAt >= now;
}

function alreadyRunning(item: FleetItem, now: number): string {
  return `A refresh of ${item.sellerId} (${item.region}) is already running (its lease lapses ${formatWhen(item.leaseExpiresAt, now)}); nothing done. Run \`lwa-tokens show\` afterwards to see its outcome.`;
}

async function notRefreshable(item: FleetItem, settings: Settings): Promise<string> {
  if (item.status === SellerStatus.AccessOnly) {
    return `${item.sellerId} (${item.region}) is ACCESS_ONLY: LWA gave it no refresh token, so there is nothing to refresh with. ${await reauthorizeHint(item, settings)}`;
  }
  return `${item.sellerId} (${item.region}) is ${item.status}${item.lastError ? ` (${item.lastError})` : ''}: LWA no longer accepts its refresh token. ${await reauthorizeHint(item, settings)}`;
}

/** The refresher's structured log lines (ids and error codes, never a token) go to stderr. */
function stderrLog(stderr: NodeJS.WritableStream): RefreshLog {
  const line =
    (level: string) =>
    (message: unknown, ...extra: unknown[]) => {
      const details = extra.length > 0 ? ` ${JSON.stringify(Object.assign({}, ...(extra as object[])))}` : '';
      stderr.write(`${level}: ${String(message)}${details}\n`);
    };
  return { info: () => undefined, warn: line('warning'), error: line('error') } as unknown as RefreshLog;
}
