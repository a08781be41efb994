import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  ListSecretVersionIdsCommand,
  type SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';
import { createDocumentClient, createSecretsManagerClient } from '../../lambda/shared/aws-clients';
import { toEpochSeconds } from '../../lambda/shared/clock';
import { parseCommand, requireRegion, singlePositional } from '../args';
import { type Command, writeLine } from '../command';
import { awsCall, OperatorError } from '../errors';
import { readItem } from '../fleet';
import { formatTable, formatWhen } from '../format';
import { SETTINGS_HELP, Settings } from '../settings';

const HELP = `Usage: lwa-tokens show <sellerId> --region NA|EU|FE [--json] [settings]

Shows one seller's item in the sellers table and its token secret's metadata: version ids with
their stages and dates, key and tags (DescribeSecret, ListSecretVersionIds). It never reads a
secret value. Grantless and device items are named as the table keys them: grantless#<scope>,
device#<account id>.

Options:
  --region R   the seller's region (required)
  --json       the item and the metadata as one JSON object

${SETTINGS_HELP}`;

const EPOCH_FIELDS = [
  'accessTokenExpiresAt',
  'nextRefreshAt',
  'lastRefreshedAt',
  'authorizedAt',
  'authorizationExpiresAt',
  'updatedAt',
  'leaseExpiresAt',
];

export const showCommand: Command = {
  name: 'show',
  summary: "show one seller's item and its secret's versions (never values)",
  help: HELP,
  async run(argv, context) {
    const { flags, positionals } = parseCommand(argv, {
      region: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    const sellerId = singlePositional(positionals, 'seller id');
    const region = requireRegion(flags.string('region'));
    const settings = new Settings(flags, context.env);
    const tableName = await settings.require('sellerTableName');

    const item = await readItem(createDocumentClient(), tableName, { sellerId, region });
    if (!item) {
      throw new OperatorError(
        `No item for seller ${sellerId} in ${region} in table ${tableName}. \`lwa-tokens list\` shows who is there.`,
      );
    }
    const secretsManager = createSecretsManagerClient();
    const resource = `secret ${item.secretName}`;
    const described = await awsCall('secretsmanager:DescribeSecret', resource, () =>
      secretsManager.send(new DescribeSecretCommand({ SecretId: item.secretName })),
    );
    const versions = await awsCall('secretsmanager:ListSecretVersionIds', resource, () =>
      secretsManager.send(
        new ListSecretVersionIdsCommand({ SecretId: item.secretName, IncludeDeprecated: true }),
      ),
    );

    if (flags.boolean('json')) {
      writeLine(
        context.stdout,
        JSON.stringify({ item, secret: secretMetadata(described, versions.Versions ?? []) }, null, 2),
      );
      return 0;
    }
    const now = toEpochSeconds(context.clock());
    writeLine(context.stdout, `Seller ${sellerId} (${region}) in ${tableName}`);
    for (const [name, value] of Object.entries(item).sort(([a], [b]) => a.localeCompare(b))) {
      if (name === 'sellerId' || name === 'region') continue;
      const shown =
        EPOCH_FIELDS.includes(name) && typeof value === 'number' ? formatWhen(value, now) : String(value);
      writeLine(context.stdout, `  ${name.padEnd(24)}${shown}`);
    }
    writeLine(context.stdout);
    writeLine(context.stdout, `Secret ${described.Name ?? item.secretName}`);
    writeLine(context.stdout, `  arn                     ${described.ARN ?? '-'}`);
    writeLine(context.stdout, `  kmsKeyId                ${described.KmsKeyId ?? '(aws/secretsmanager)'}`);
    writeLine(context.stdout, `  created                 ${isoOf(described.CreatedDate)}`);
    writeLine(context.stdout, `  lastChanged             ${isoOf(described.LastChangedDate)}`);
    writeLine(context.stdout, `  lastAccessed            ${isoOf(described.LastAccessedDate)}`);
    if (described.DeletedDate)
      writeLine(context.stdout, `  deletionScheduled       ${isoOf(described.DeletedDate)}`);
    writeLine(
      context.stdout,
      `  tags                    ${(described.Tags ?? []).map((tag) => `${tag.Key}=${tag.Value}`).join(', ') || '-'}`,
    );
    writeLine(context.stdout);
    writeLine(
      context.stdout,
      formatTable(
        ['VERSION', 'STAGES', 'CREATED', 'LAST ACCESSED'],
        sortedVersions(versions.Versions ?? []).map((version) => [
          version.VersionId ?? '-',
          (version.VersionStages ?? []).join(',') || '(none)',
          isoOf(version.CreatedDate),
          isoOf(version.LastAccessedDate),
        ]),
      ),
    );
    return 0;
  },
};

function isoOf(date: Date | undefined): string {
  return date ? date.toISOString() : '-';
}

/** Newest first, so AWSCURRENT and AWSPREVIOUS lead the table. */
function sortedVersions(versions: SecretVersionsListEntry[]): SecretVersionsListEntry[] {
  return [...versions].sort((a, b) => (b.CreatedDate?.getTime() ?? 0) - (a.CreatedDate?.getTime() ?? 0));
}

/** Only metadata fields are copied, so a future SDK field can never carry a value into the output. */
function secretMetadata(described: DescribeSecretCommandOutput, versions: SecretVersionsListEntry[]) {
  return {
    name: described.Name,
    arn: described.ARN,
    kmsKeyId: described.KmsKeyId,
    createdDate: described.CreatedDate?.toISOString(),
    lastChangedDate: described.LastChangedDate?.toISOString(),
    lastAccessedDate: described.LastAccessedDate?.toISOString(),
    deletedDate: described.DeletedDate?.toISOString(),
    tags: Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
    versions: sortedVersions(versions).map((version) => ({
      versionId: version.VersionId,
      stages: version.VersionStages ?? [],
      createdDate: version.CreatedDate?.toISOString(),
      lastAccessedDate: version.LastAccessedDate?.toISOString(),
    })),
  };
}
