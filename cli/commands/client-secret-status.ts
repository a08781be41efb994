import { AppCredentialsError, AppCredentialsProvider } from '../../lambda/shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient } from '../../lambda/shared/aws-clients';
import {
  readRotationRecord,
  rotationRecordKey,
  UNKNOWN_EXPIRY,
} from '../../lambda/shared/client-secret-rotation-record';
import type { Clock } from '../../lambda/shared/clock';
import { noPositionals, parseCommand } from '../args';
import { type Command, writeLine } from '../command';
import { awsCall, OperatorError } from '../errors';
import { SETTINGS_HELP, Settings } from '../settings';

const HELP = `Usage: lwa-tokens client-secret-status [settings]

Prints when the app's current LWA client secret expires, until when the previous one (kept
during a rotation) still works, and whether a rotation was requested. Never prints a secret.

Options:
  --state-table NAME        state table, to show the rotation record (output StateTableName)  [STATE_TABLE_NAME, optional]

${SETTINGS_HELP}`;

const DAY_MS = 86_400_000;

function describe(isoTime: string | undefined, now: number): string {
  const at = Date.parse(isoTime ?? '');
  if (Number.isNaN(at)) return 'unknown';
  const days = (at - now) / DAY_MS;
  if (days < 0) return `${new Date(at).toISOString()} (expired ${Math.ceil(-days)} day(s) ago)`;
  return `${new Date(at).toISOString()} (in ${days < 1 ? 'less than a day' : `${Math.floor(days)} day(s)`})`;
}

/** `npx lwa-tokens client-secret-status`: exit 0 with the report, 1 when the secret can't be read. */
export const clientSecretStatusCommand: Command = {
  name: 'client-secret-status',
  summary: 'when the current and previous client secrets expire (never a secret)',
  help: HELP,
  async run(argv, context) {
    const { flags, positionals } = parseCommand(argv, {});
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    noPositionals(positionals);
    const settings = new Settings(flags, context.env);
    const appSecretId = await settings.require('appSecretId');
    const stateTableName = await settings.optional('stateTableName');
    try {
      writeLine(context.stdout, await statusLines(appSecretId, stateTableName, context.clock));
      return 0;
    } catch (error) {
      if (error instanceof OperatorError) throw error;
      if (error instanceof AppCredentialsError) throw new OperatorError(error.message);
      throw new OperatorError(
        `Could not read the client secret status: ${error instanceof Error ? error.name : 'UnknownError'}`,
      );
    }
  },
};

async function statusLines(
  appSecretId: string,
  stateTableName: string | undefined,
  clock: Clock,
): Promise<string> {
  const now = clock();
  const credentials = await new AppCredentialsProvider(
    createSecretsManagerClient(),
    appSecretId,
    clock,
  ).get();
  const lines = [
    `Client id:                ${credentials.clientId}`,
    `Current secret expires:   ${describe(credentials.clientSecretExpiresAt, now)}`,
    `Previous secret:          ${
      credentials.previousClientSecret
        ? `usable until ${describe(credentials.previousClientSecretExpiresAt, now)}`
        : 'none'
    }`,
  ];
  if (stateTableName) {
    const expiry = Date.parse(credentials.clientSecretExpiresAt ?? '');
    const key = rotationRecordKey(
      credentials.clientId,
      Number.isNaN(expiry) ? UNKNOWN_EXPIRY : new Date(expiry).toISOString(),
    );
    const record = await awsCall('dynamodb:GetItem', `table ${stateTableName}`, () =>
      readRotationRecord(createDocumentClient(), stateTableName, key),
    );
    lines.push(
      `Rotation of this secret:  ${
        !record?.state
          ? 'not requested'
          : record.state === 'REQUESTED'
            ? `requested at ${new Date((record.requestedAt ?? 0) * 1000).toISOString()}; the new secret arrives as a notification`
            : record.state === 'REJECTED'
              ? 'refused by Amazon (403); see the rotation function error log, then run `npx lwa-tokens rotate-client-secret`'
              : record.state === 'FAILED'
                ? 'failed transiently; the next notice or `npx lwa-tokens rotate-client-secret` asks again'
                : 'being requested now'
      }`,
    );
  }
  return lines.join('\n');
}
