import {
  RotationRejectedError,
  RotationRetryableError,
  requestClientSecretRotation,
} from '../../lambda/rotation/client-secret-rotation';
import { loadSpApiSettings } from '../../lambda/rotation/config';
import { createRotationDeps } from '../../lambda/rotation/wiring';
import { AppCredentialsError } from '../../lambda/shared/app-credentials';
import { ConfigurationError, loadLwaEndpoints } from '../../lambda/shared/env';
import { noPositionals, optionalApplicationRegion, parseCommand } from '../args';
import { type Command, writeLine } from '../command';
import { OperatorError } from '../errors';
import { SETTINGS_HELP, Settings } from '../settings';

const HELP = `Usage: lwa-tokens rotate-client-secret [--application-region NA|EU|FE] [settings]

Asks Amazon now for a new LWA client secret (SP-API rotateApplicationClientSecret), the same
request the rotation function makes when the "Application client secret expiry" notice arrives.
Amazon answers at once and sends the new secret to the notification queue, where the rotation
function stores it; the old secret keeps working for about 7 days. A rotation of the current
secret that Amazon accepted within the last day is not requested again (the new secret is on its
way); one that failed or was refused is. No secret is printed.

Options:
  --application-region R    NA, EU or FE: where the app is registered  [APPLICATION_REGION, default NA]
  --state-table NAME        state table, holds the rotation record (output StateTableName)  [STATE_TABLE_NAME]
LWA and SP-API endpoints come from LWA_ENDPOINTS and SPAPI_ENDPOINTS (JSON region → base URL),
else Amazon's.

${SETTINGS_HELP}`;

/** `npx lwa-tokens rotate-client-secret`: exit 0 when requested (or already), 1 on failure, 2 on bad usage. */
export const rotateClientSecretCommand: Command = {
  name: 'rotate-client-secret',
  summary: 'ask Amazon for a new LWA client secret now',
  help: HELP,
  async run(argv, context) {
    const { flags, positionals } = parseCommand(argv, { 'application-region': { type: 'string' } });
    if (flags.boolean('help')) {
      writeLine(context.stdout, HELP);
      return 0;
    }
    noPositionals(positionals);
    const applicationRegion = optionalApplicationRegion(flags.string('application-region'));
    const settings = new Settings(flags, context.env);
    const appSecretId = await settings.require('appSecretId');
    const stateTableName = await settings.require('stateTableName');
    try {
      const spApi = loadSpApiSettings({
        ...context.env,
        ...(applicationRegion ? { APPLICATION_REGION: applicationRegion } : {}),
      });
      const region = spApi.applicationRegion;
      // The core's log lines carry no secret; an operator only needs the warnings.
      const quiet = () => {};
      const deps = createRotationDeps(
        {
          appSecretId,
          stateTableName,
          applicationRegion: region,
          lwaEndpoint: loadLwaEndpoints(context.env, { required: false })[region],
          spApiEndpoint: spApi.spApiEndpoints[region],
        },
        { log: { info: quiet, warn: (message: string) => writeLine(context.stderr, message), error: quiet } },
      );
      const credentials = await deps.appCredentials.get();
      const outcome = await requestClientSecretRotation(deps, {
        clientId: credentials.clientId,
        clientSecretExpiryTime: credentials.clientSecretExpiresAt,
        trigger: 'operator',
      });
      const expiry = credentials.clientSecretExpiresAt ?? 'an unknown time';
      writeLine(
        context.stdout,
        outcome === 'requested'
          ? `Asked Amazon for a new client secret (the current one expires at ${expiry}). It arrives on the ` +
              'notification queue and the rotation function stores it; check with `npx lwa-tokens client-secret-status`.'
          : `A rotation of the client secret that expires at ${expiry} was already requested; nothing was done. ` +
              'Check with `npx lwa-tokens client-secret-status`.',
      );
      return 0;
    } catch (error) {
      throw rotationFailure(error);
    }
  },
};

/**
 * The core's named errors already say what to do. Anything else is reported by name only: an
 * unexpected error from LWA or SP-API could quote a response, and responses here carry secrets.
 */
function rotationFailure(error: unknown): OperatorError {
  if (error instanceof RotationRetryableError)
    return new OperatorError(error.message.replace('it is retried', 'try again in a minute'));
  if (
    error instanceof RotationRejectedError ||
    error instanceof ConfigurationError ||
    error instanceof AppCredentialsError
  )
    return new OperatorError(error.message);
  return new OperatorError(
    `Rotation request failed: ${error instanceof Error ? error.name : 'UnknownError'}`,
  );
}
