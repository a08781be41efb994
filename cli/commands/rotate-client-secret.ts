import { parseArgs } from 'node:util';
import {
  RotationRejectedError,
  RotationRetryableError,
  requestClientSecretRotation,
} from '../../lambda/rotation/client-secret-rotation';
import { loadSpApiSettings } from '../../lambda/rotation/config';
import { createRotationDeps } from '../../lambda/rotation/wiring';
import { AppCredentialsError } from '../../lambda/shared/app-credentials';
import { ConfigurationError, getStringFromEnv, loadLwaEndpoints } from '../../lambda/shared/env';

export const ROTATE_CLIENT_SECRET_USAGE = `Usage: lwa-tokens rotate-client-secret [options]

Asks Amazon now for a new LWA client secret (SP-API rotateApplicationClientSecret), the same
request the rotation function makes when the "Application client secret expiry" notice arrives.
Amazon answers at once and sends the new secret to the notification queue, where the rotation
function stores it; the old secret keeps working for about 7 days. A rotation of the current
secret that Amazon accepted within the last day is not requested again (the new secret is on its
way); one that failed or was refused is. No secret is printed.

Options (each falls back to the environment variable in brackets; use your stack's outputs):
  --app-secret-id ID         app credentials secret (AppSecretArn)           [APP_SECRET_ID]
  --state-table NAME         state table, holds the rotation record          [STATE_TABLE_NAME]
  --application-region R     NA, EU or FE: where the app is registered       [APPLICATION_REGION, default NA]
  --help                     show this text
LWA and SP-API endpoints come from LWA_ENDPOINTS and SPAPI_ENDPOINTS (JSON region → base URL),
else Amazon's; AWS endpoints from the AWS SDK's own configuration.`;

interface Output {
  write(text: string): unknown;
}

/** The parts of the CLI's command context this command uses (shaped like `cli/command.ts` on main). */
export interface RotationCommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
}

/** `npx lwa-tokens rotate-client-secret`: exit 0 when requested (or already), 1 on failure, 2 on bad usage. */
export const rotateClientSecretCommand = {
  name: 'rotate-client-secret',
  summary: 'ask Amazon for a new LWA client secret now',
  help: ROTATE_CLIENT_SECRET_USAGE,
  run: (argv: string[], context: RotationCommandContext) =>
    rotateClientSecret(argv, context.env, context.stdout, context.stderr),
};

async function rotateClientSecret(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  out: Output,
  err: Output,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'app-secret-id': { type: 'string' },
        'state-table': { type: 'string' },
        'application-region': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    err.write(`${error instanceof Error ? error.message : String(error)}\n\n${ROTATE_CLIENT_SECRET_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${ROTATE_CLIENT_SECRET_USAGE}\n`);
    return 0;
  }
  try {
    const settingsEnv = {
      ...env,
      ...(typeof values['application-region'] === 'string'
        ? { APPLICATION_REGION: values['application-region'] }
        : {}),
    };
    const { applicationRegion, spApiEndpoints } = loadSpApiSettings(settingsEnv);
    const config = {
      appSecretId: (values['app-secret-id'] as string | undefined) ?? getStringFromEnv('APP_SECRET_ID', env),
      stateTableName:
        (values['state-table'] as string | undefined) ?? getStringFromEnv('STATE_TABLE_NAME', env),
      applicationRegion,
      lwaEndpoint: loadLwaEndpoints(env, { required: false })[applicationRegion],
      spApiEndpoint: spApiEndpoints[applicationRegion],
    };
    // The core's log lines carry no secret; an operator only needs the warnings and errors.
    const quiet = () => {};
    const deps = createRotationDeps(config, {
      log: { info: quiet, warn: (message: string) => err.write(`${message}\n`), error: quiet },
    });
    const credentials = await deps.appCredentials.get();
    const outcome = await requestClientSecretRotation(deps, {
      clientId: credentials.clientId,
      clientSecretExpiryTime: credentials.clientSecretExpiresAt,
      trigger: 'operator',
    });
    const expiry = credentials.clientSecretExpiresAt ?? 'an unknown time';
    out.write(
      outcome === 'requested'
        ? `Asked Amazon for a new client secret (the current one expires at ${expiry}). It arrives on the ` +
            'notification queue and the rotation function stores it; check with `npx lwa-tokens client-secret-status`.\n'
        : `A rotation of the client secret that expires at ${expiry} was already requested; nothing was done. ` +
            'Check with `npx lwa-tokens client-secret-status`.\n',
    );
    return 0;
  } catch (error) {
    if (error instanceof RotationRetryableError) {
      err.write(`${error.message.replace('it is retried', 'try again in a minute')}\n`);
    } else if (
      error instanceof RotationRejectedError ||
      error instanceof ConfigurationError ||
      error instanceof AppCredentialsError
    ) {
      err.write(`${error.message}\n`);
    } else {
      err.write(`Rotation request failed: ${error instanceof Error ? error.name : 'UnknownError'}\n`);
    }
    return 1;
  }
}
