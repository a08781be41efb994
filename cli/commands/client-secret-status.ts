import { parseArgs } from 'node:util';
import { AppCredentialsError, AppCredentialsProvider } from '../../lambda/shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient } from '../../lambda/shared/aws-clients';
import {
  readRotationRecord,
  rotationRecordKey,
  UNKNOWN_EXPIRY,
} from '../../lambda/shared/client-secret-rotation-record';
import { type Clock, systemClock } from '../../lambda/shared/clock';
import { ConfigurationError, getStringFromEnv } from '../../lambda/shared/env';

export const CLIENT_SECRET_STATUS_USAGE = `Usage: lwa-tokens client-secret-status [options]

Prints when the app's current LWA client secret expires, until when the previous one (kept
during a rotation) still works, and whether a rotation was requested. Never prints a secret.

Options (each falls back to the environment variable in brackets; use your stack's outputs):
  --app-secret-id ID    app credentials secret (AppSecretArn)                     [APP_SECRET_ID]
  --state-table NAME    state table, to show the rotation record (optional)       [STATE_TABLE_NAME]
  --help                show this text
AWS endpoints come from the AWS SDK's own configuration.`;

interface Output {
  write(text: string): unknown;
}

/** The parts of the CLI's command context this command uses (shaped like `cli/command.ts` on main). */
export interface RotationCommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly clock?: Clock;
}

const DAY_MS = 86_400_000;

function describe(isoTime: string | undefined, now: number): string {
  const at = Date.parse(isoTime ?? '');
  if (Number.isNaN(at)) return 'unknown';
  const days = (at - now) / DAY_MS;
  if (days < 0) return `${new Date(at).toISOString()} (expired ${Math.ceil(-days)} day(s) ago)`;
  return `${new Date(at).toISOString()} (in ${days < 1 ? 'less than a day' : `${Math.floor(days)} day(s)`})`;
}

/** `npx lwa-tokens client-secret-status`: exit 0 with the report, 1 when the secret can't be read. */
export const clientSecretStatusCommand = {
  name: 'client-secret-status',
  summary: 'when the current and previous client secrets expire (never a secret)',
  help: CLIENT_SECRET_STATUS_USAGE,
  run: (argv: string[], context: RotationCommandContext) =>
    clientSecretStatus(argv, context.env, context.stdout, context.stderr, context.clock ?? systemClock),
};

async function clientSecretStatus(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  out: Output,
  err: Output,
  clock: Clock,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'app-secret-id': { type: 'string' },
        'state-table': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    err.write(`${error instanceof Error ? error.message : String(error)}\n\n${CLIENT_SECRET_STATUS_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${CLIENT_SECRET_STATUS_USAGE}\n`);
    return 0;
  }
  try {
    const appSecretId =
      (values['app-secret-id'] as string | undefined) ?? getStringFromEnv('APP_SECRET_ID', env);
    const stateTableName = (values['state-table'] as string | undefined) ?? env.STATE_TABLE_NAME?.trim();
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
      const record = await readRotationRecord(createDocumentClient(), stateTableName, key);
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
    out.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof AppCredentialsError) {
      err.write(`${error.message}\n`);
    } else {
      err.write(
        `Could not read the client secret status: ${error instanceof Error ? error.name : 'UnknownError'}\n`,
      );
    }
    return 1;
  }
}
