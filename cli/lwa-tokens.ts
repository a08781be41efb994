import { parseArgs } from 'node:util';
import { ACCOUNT_ID_PATTERN, storeDeviceAccount } from '../lambda/device/device-accounts';
import { DeviceAuthorizationError, pollUntilDone, requestCodePair } from '../lambda/device/device-flow';
import { AppCredentialsProvider } from '../lambda/shared/app-credentials';
import {
  createDocumentClient,
  createSecretsManagerClient,
  DEFAULT_AWS_RETRY,
} from '../lambda/shared/aws-clients';
import { realSleep } from '../lambda/shared/backoff';
import { systemClock } from '../lambda/shared/clock';
import { ConfigurationError, getStringFromEnv, loadLwaEndpoints } from '../lambda/shared/env';
import { LwaClient } from '../lambda/shared/lwa-client';
import { isRegion, type Region } from '../lambda/shared/regions';
import { DEFAULT_REFRESH_LEAD_SECONDS, DEFAULT_REFRESH_SPREAD_SECONDS } from '../lambda/shared/scheduling';
import { DEFAULT_TOKEN_SECRET_PREFIX, isScope } from '../lambda/shared/secret-names';
import { SellerRepository } from '../lambda/shared/seller-repository';
import { TokenStore } from '../lambda/shared/token-store';
import { type Command, processContext, runOperatorCommand } from './command';
import { clientSecretStatusCommand } from './commands/client-secret-status';
import { disconnectCommand } from './commands/disconnect';
import { healthCommand } from './commands/health';
import { listCommand } from './commands/list';
import { refreshCommand } from './commands/refresh';
import { rotateClientSecretCommand } from './commands/rotate-client-secret';
import { showCommand } from './commands/show';

const USAGE = `Usage: lwa-tokens device-login --region NA|EU|FE --scope SCOPE --account-id NAME [options]

Runs the Login with Amazon device authorization flow and stores the account's tokens like a
seller's, so the deployed refresher keeps them fresh.

Options (each falls back to the environment variable in brackets; use your stack's outputs):
  --app-secret-id ID        app credentials secret (AppSecretArn)          [APP_SECRET_ID]
  --seller-table NAME       sellers table (SellerTableName)                 [SELLER_TABLE_NAME]
  --kms-key-id ARN          key for new token secrets (TokenKmsKeyArn)      [TOKEN_KMS_KEY_ID]
  --token-secret-prefix P   token secret prefix (TokenSecretPrefix)         [TOKEN_SECRET_PREFIX, default lwa-tokens]
LWA endpoints come from LWA_ENDPOINTS (JSON region → base URL), else Amazon's; AWS endpoints from
the AWS SDK's own configuration (AWS_ENDPOINT_URL points it at an emulator).`;

/** Thrown for bad command-line input; printed with the usage text. */
class UsageError extends Error {}

interface DeviceLoginOptions {
  readonly region: Region;
  readonly scope: string;
  readonly accountId: string;
  readonly appSecretId: string;
  readonly sellerTableName: string;
  readonly kmsKeyId: string;
  readonly tokenSecretPrefix: string;
  readonly lwaEndpoint: string;
}

function parseDeviceLogin(argv: string[], env: NodeJS.ProcessEnv): DeviceLoginOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      region: { type: 'string' },
      scope: { type: 'string' },
      'account-id': { type: 'string' },
      'app-secret-id': { type: 'string' },
      'seller-table': { type: 'string' },
      'kms-key-id': { type: 'string' },
      'token-secret-prefix': { type: 'string' },
    },
    strict: true,
  });
  if (!isRegion(values.region)) throw new UsageError('--region must be NA, EU or FE.');
  if (!isScope(values.scope)) throw new UsageError('--scope must be an LWA scope such as profile.');
  const accountId = values['account-id'];
  if (!accountId || !ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new UsageError('--account-id must be 1-64 letters, digits, ".", "_" or "-".');
  }
  const setting = (flag: string | undefined, name: string, fallback?: string) =>
    flag ?? getStringFromEnv(name, env, fallback);
  const endpoints = loadLwaEndpoints(env, { required: false });
  return {
    region: values.region,
    scope: values.scope,
    accountId,
    appSecretId: setting(values['app-secret-id'], 'APP_SECRET_ID'),
    sellerTableName: setting(values['seller-table'], 'SELLER_TABLE_NAME'),
    kmsKeyId: setting(values['kms-key-id'], 'TOKEN_KMS_KEY_ID'),
    tokenSecretPrefix: setting(
      values['token-secret-prefix'],
      'TOKEN_SECRET_PREFIX',
      DEFAULT_TOKEN_SECRET_PREFIX,
    ),
    lwaEndpoint: endpoints[values.region],
  };
}

async function deviceLogin(options: DeviceLoginOptions): Promise<void> {
  const secretsManager = createSecretsManagerClient();
  const lwa = new LwaClient();
  const credentials = await new AppCredentialsProvider(
    secretsManager,
    options.appSecretId,
    systemClock,
  ).get();
  const codePair = await requestCodePair(lwa, options.lwaEndpoint, {
    clientId: credentials.clientId,
    scope: options.scope,
  });

  process.stdout.write(
    `To authorize, open ${codePair.verificationUri} and enter the code: ${codePair.userCode}\n` +
      `Waiting for authorization (the code expires in ${Math.round(codePair.expiresIn / 60)} min; Ctrl-C cancels)…\n`,
  );
  let lastInterval = codePair.interval;
  const tokens = await pollUntilDone({
    lwa,
    endpoint: options.lwaEndpoint,
    clientId: credentials.clientId,
    codePair,
    clock: systemClock,
    sleep: realSleep,
    onWait: ({ interval, attempt }) => {
      if (interval !== lastInterval)
        process.stdout.write(`  LWA asked to slow down: checking every ${interval} s\n`);
      else if (attempt > 1) process.stdout.write(`  still waiting (checked ${attempt - 1}×)\n`);
      lastInterval = interval;
    },
  });

  // From here on, Ctrl-C waits until the secret and the table item are both written.
  writing = true;
  const retry = { ...DEFAULT_AWS_RETRY, sleep: realSleep, random: Math.random };
  const stored = await storeDeviceAccount(
    {
      tokens: new TokenStore(secretsManager, retry),
      sellers: new SellerRepository(createDocumentClient(), options.sellerTableName),
      random: Math.random,
      retry,
      config: {
        tokenSecretPrefix: options.tokenSecretPrefix,
        kmsKeyId: options.kmsKeyId,
        leadSeconds: DEFAULT_REFRESH_LEAD_SECONDS,
        spreadSeconds: DEFAULT_REFRESH_SPREAD_SECONDS,
      },
    },
    {
      accountId: options.accountId,
      region: options.region,
      scope: options.scope,
      tokens,
      issuedAtMs: systemClock(),
    },
  );
  writing = false;
  process.stdout.write(
    `Authorized. Stored the tokens of device account ${options.accountId} (${options.region}) in ${stored.secretName}` +
      (stored.status === 'ACTIVE'
        ? '; the refresher keeps them fresh.\n'
        : '; LWA returned no refresh token, so the access token is kept until it expires (ACCESS_ONLY).\n'),
  );
}

let writing = false;
let interrupted = false;

function onInterrupt(): void {
  if (!writing) {
    process.stderr.write('\nCancelled; nothing was stored.\n');
    process.exit(130);
  }
  interrupted = true;
  process.stderr.write('\nFinishing the write that is under way, then stopping…\n');
}

const OPERATOR_COMMANDS: readonly Command[] = [
  listCommand,
  showCommand,
  refreshCommand,
  disconnectCommand,
  healthCommand,
  rotateClientSecretCommand,
  clientSecretStatusCommand,
];

const TOP_USAGE = `Usage: lwa-tokens <command> [options]   (lwa-tokens <command> --help for its options)

Commands:
  device-login   authorize a device account through the LWA device flow and store its tokens
${OPERATOR_COMMANDS.map((c) => `  ${c.name.padEnd(13)}  ${c.summary}`).join('\n')}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const operatorCommand = OPERATOR_COMMANDS.find((c) => c.name === command);
  if (operatorCommand) return runOperatorCommand(operatorCommand, rest, processContext());
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${TOP_USAGE}\n`);
    return 0;
  }
  if (command !== 'device-login') {
    process.stderr.write(`${command ? `Unknown command "${command}".\n\n` : ''}${TOP_USAGE}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    await deviceLogin(parseDeviceLogin(rest, process.env));
    return interrupted ? 130 : 0;
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    const known = error instanceof DeviceAuthorizationError || error instanceof ConfigurationError;
    process.stderr.write(
      `${known ? error.message : `Device login failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`}\n`,
    );
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
