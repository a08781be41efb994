import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createSecretsManagerClient } from '../../lambda/shared/aws-clients';
import { toEpochSeconds } from '../../lambda/shared/clock';
import type { Region } from '../../lambda/shared/regions';
import { deviceSecretName, grantlessSecretName, sellerSecretName } from '../../lambda/shared/secret-names';
import { parseCommand, requireRegion, singlePositional } from '../args';
import { type Command, writeLine } from '../command';
import { awsCall, describeAwsFailure, OperatorError, UsageError } from '../errors';
import { readItem } from '../fleet';
import { formatWhen } from '../format';
import { SETTINGS_HELP, Settings } from '../settings';

const HELP = `Usage: lwa-tokens disconnect <sellerId> --region NA|EU|FE [--recovery-days 7 | --force] [--yes] [settings]

Disconnects a seller: removes its item from the sellers table (so the refresher stops), then
deletes its token secret with a recovery window (7 days unless --recovery-days), or at once with
--force. It asks for confirmation unless --yes. It refuses while a refresh holds the seller's
lease, so an in-flight refresh can't write the secret back. It prints how to undo: RestoreSecret
inside the window, and the item to put back.

Options:
  --region R            the seller's region (required)
  --recovery-days N     7 to 30 days in which RestoreSecret brings the tokens back (default 7)
  --force               delete the secret at once, with no recovery
  --yes                 do not ask

${SETTINGS_HELP}`;

export const disconnectCommand: Command = {
  name: 'disconnect',
  summary: 'remove a seller: delete its item, and its secret with a recovery window',
  help: HELP,
  async run(argv, context) {
    const { flags, positionals } = parseCommand(argv, {
      region: { type: 'string' },
      'recovery-days': { type: 'string' },
      force: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    });
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    const sellerId = singlePositional(positionals, 'seller id');
    const region = requireRegion(flags.string('region'));
    const force = flags.boolean('force');
    const recoveryFlag = flags.string('recovery-days');
    if (force && recoveryFlag !== undefined)
      throw new UsageError('--force and --recovery-days exclude each other.');
    const recoveryDays = Number(recoveryFlag ?? '7');
    if (!Number.isInteger(recoveryDays) || recoveryDays < 7 || recoveryDays > 30) {
      throw new UsageError(
        '--recovery-days must be a whole number of days from 7 to 30 (Secrets Manager’s limits).',
      );
    }
    const settings = new Settings(flags, context.env);
    const tableName = await settings.require('sellerTableName');
    const documentClient = createDocumentClient();
    const out = (text = '') => writeLine(context.stdout, text);

    const item = await readItem(documentClient, tableName, { sellerId, region });
    const secretsManager = createSecretsManagerClient();
    const secretName =
      item?.secretName ?? contractSecretName(await settings.require('tokenSecretPrefix'), region, sellerId);
    if (!item) {
      // A disconnect that removed the item but could not delete the secret is finished by running it again.
      const existing = await secretsManager
        .send(new DescribeSecretCommand({ SecretId: secretName }))
        .catch((error: unknown) => {
          if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
          throw describeAwsFailure(error, 'secretsmanager:DescribeSecret', `secret ${secretName}`);
        });
      if (!existing) {
        throw new OperatorError(
          `No item for seller ${sellerId} in ${region} in table ${tableName} and no secret ${secretName}; nothing to disconnect.`,
        );
      }
      if (existing.DeletedDate) {
        throw new OperatorError(
          `${sellerId} (${region}) is already disconnected: secret ${secretName} is scheduled for deletion ${existing.DeletedDate.toISOString()} (aws secretsmanager restore-secret undoes it until then).`,
        );
      }
    }
    const plan = force
      ? `delete secret ${secretName} at once (no recovery)`
      : `schedule secret ${secretName} for deletion in ${recoveryDays} days`;
    if (!flags.boolean('yes')) {
      const removeItem = item ? `remove its item from ${tableName} and ` : '';
      context.stdout.write(`Disconnect ${sellerId} (${region}): ${removeItem}${plan}? [y/N] `);
      const answer = await readAnswer(context.stdin);
      if (!/^y(es)?$/i.test(answer.trim())) {
        out('Cancelled; nothing was changed.');
        return 1;
      }
    }

    const now = toEpochSeconds(context.clock());
    if (item) {
      try {
        await documentClient.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { sellerId, region },
            // A refresh holding the lease could write the secret back after we delete it.
            ConditionExpression: 'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          out(
            `A refresh of ${sellerId} (${region}) is running right now; nothing was changed. Try again in a few minutes.`,
          );
          return 1;
        }
        throw describeAwsFailure(error, 'dynamodb:DeleteItem', `table ${tableName}`);
      }
      out(`Removed ${sellerId} (${region}) from ${tableName}.`);
    }

    const deleted = await awsCall('secretsmanager:DeleteSecret', `secret ${secretName}`, () =>
      secretsManager.send(
        new DeleteSecretCommand(
          force
            ? { SecretId: secretName, ForceDeleteWithoutRecovery: true }
            : { SecretId: secretName, RecoveryWindowInDays: recoveryDays },
        ),
      ),
    ).catch((error: unknown) => {
      if (!item || !(error instanceof OperatorError)) throw error;
      throw new OperatorError(
        `${error.message} The item is already removed, so the refresher has stopped; run the same command again to delete the secret.`,
      );
    });
    if (force) {
      out(
        `Deleted secret ${secretName} at once; it cannot be restored. The seller must authorize again to reconnect.`,
      );
      return 0;
    }
    const deletionDate = deleted.DeletionDate
      ? toEpochSeconds(deleted.DeletionDate.getTime())
      : now + recoveryDays * 86_400;
    out(`Scheduled secret ${secretName} for deletion ${formatWhen(deletionDate, now)}.`);
    out();
    out('To undo before then:');
    out(`  aws secretsmanager restore-secret --secret-id '${deleted.ARN ?? secretName}'`);
    if (item) {
      out(
        `  aws dynamodb put-item --table-name '${tableName}' --item '${JSON.stringify(toDynamoDbJson({ ...item }))}'`,
      );
      out('(The item above holds ids, times and the secret name only, never a token.)');
    } else {
      out('The item was already removed; the seller authorizing again re-creates it.');
    }
    return 0;
  },
};

/** One line from stdin; empty at end of input, so a non-interactive run without --yes cancels. */
function readAnswer(stdin: Readable): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: stdin, terminal: false });
    let answered = false;
    lines.once('line', (line) => {
      answered = true;
      lines.close();
      resolve(line);
    });
    lines.once('close', () => {
      if (!answered) resolve('');
    });
  });
}

/** The item in the DynamoDB JSON `put-item` takes. Items hold only strings and numbers. */
function toDynamoDbJson(item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(item)
      .filter(([name, value]) => value !== undefined && name !== 'leaseOwner' && name !== 'leaseExpiresAt')
      .map(([name, value]) => [
        name,
        typeof value === 'number'
          ? { N: String(value) }
          : typeof value === 'boolean'
            ? { BOOL: value }
            : { S: String(value) },
      ]),
  );
}

/** The contract name of an item's secret, for when the item itself is gone. */
function contractSecretName(prefix: string, region: Region, key: string): string {
  if (key.startsWith('device#')) return deviceSecretName(prefix, region, key.slice('device#'.length));
  if (key.startsWith('grantless#'))
    return grantlessSecretName(prefix, region, key.slice('grantless#'.length));
  return sellerSecretName(prefix, region, key);
}
