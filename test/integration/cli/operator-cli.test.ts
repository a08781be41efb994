import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { loadRefreshConfig } from '../../../lambda/refresh/config';
import { runRefresh } from '../../../lambda/refresh/refresher';
import { createRefreshDeps } from '../../../lambda/refresh/wiring';
import { parseTokenSecret, serializeTokenSecret } from '../../../lambda/shared/token-secret';
import { DEFAULT_CLIENT, type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { uniqueName } from '../../support/aws-test-env';
import { deployToEmulators, type EmulatedDeployment } from '../../support/emulated-deployment';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { type CliRun, runLwaTokens } from '../../support/lwa-tokens-cli';
import { type AuthHandlers, loadHandlers, locationOf, newSellerId } from '../auth/auth-test-bed';

// `npx lwa-tokens list|show|refresh|disconnect|health` as subprocesses against moto and the LWA
// emulator. Sellers are authorized through the real /authorize and /callback handlers and
// refreshed by the real refresher, so the CLI reads what production writes.

const AUTHORIZE_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/authorize';
const DAY = 86_400;

interface Fleet {
  readonly emulator: LwaEmulator;
  readonly deployment: EmulatedDeployment;
  readonly handlers: AuthHandlers;
  readonly stackName: string;
  /** Only what the CLI gets when the operator passes --stack: endpoints, no table or secret names. */
  readonly stackEnv: Record<string, string | undefined>;
}

const runs: CliRun[] = [];
const fleets: Fleet[] = [];

/** Runs the CLI and keeps its output for the leak scan at the end. */
async function cli(args: string[], env: Record<string, string | undefined>, stdin?: string): Promise<CliRun> {
  const run = await runLwaTokens(args, env, stdin);
  runs.push(run);
  return run;
}

async function startFleet(
  name: string,
  options: { expiresIn: number; appSecretFields?: Record<string, unknown> },
): Promise<Fleet> {
  const emulator = await startLwaEmulator({ expiresIn: options.expiresIn, rotation: 'every-refresh' });
  const deployment = await deployToEmulators({
    lwaUrl: emulator.url,
    namePrefix: name,
    extraAppSecretFields: options.appSecretFields,
  });
  const handlers = loadHandlers(deployment.env);
  const stackName = uniqueName(`${name}-stack`);
  await new CloudFormationClient({}).send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({
        Resources: { Marker: { Type: 'AWS::SQS::Queue' } },
        Outputs: {
          SellerTableName: { Value: deployment.sellerTableName },
          AppSecretArn: { Value: deployment.appSecretId },
          TokenSecretPrefix: { Value: deployment.tokenSecretPrefix },
          TokenKmsKeyArn: { Value: deployment.kmsKeyArn },
          AuthorizeUrl: { Value: AUTHORIZE_URL },
        },
      }),
    }),
  );
  const stackEnv = {
    LWA_ENDPOINTS: deployment.env.LWA_ENDPOINTS,

    SELLER_TABLE_NAME: undefined,
    APP_SECRET_ID: undefined,
    TOKEN_SECRET_PREFIX: undefined,
    TOKEN_KMS_KEY_ID: undefined,
  };
  const fleet = { emulator, deployment, handlers, stackName, stackEnv };
  fleets.push(fleet);
  return fleet;
}

/** /authorize, consent at the emulator, /callback: the seller's tokens stored as production does. */
async function authorize(fleet: Fleet, sellerId: string, region: 'NA' | 'EU' | 'FE'): Promise<void> {
  const started = await fleet.handlers.handleAuthorize(apiGatewayEvent('/authorize', [['region', region]]));
  const state = new URL(locationOf(started)).searchParams.get('state') ?? '';
  const done = await fleet.handlers.handleCallback(
    apiGatewayEvent('/callback', [
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', fleet.emulator.issueAuthorizationCode({ sellerId })],
    ]),
  );
  if (done.statusCode !== 200) throw new Error(`/callback answered ${done.statusCode}`);
}

async function setItem(
  fleet: Fleet,
  sellerId: string,
  region: string,
  values: Record<string, number | string>,
) {
  const names = Object.keys(values);
  await fleet.deployment.documentClient.send(
    new UpdateCommand({
      TableName: fleet.deployment.sellerTableName,
      Key: { sellerId, region },
      UpdateExpression: `SET ${names.map((_name, i) => `#a${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
    }),
  );
}

async function refreshDue(fleet: Fleet, region: 'NA' | 'EU' | 'FE') {
  const config = loadRefreshConfig({ ...fleet.deployment.env, REFRESH_REGIONS: region });
  return runRefresh(createRefreshDeps(config, { log: new Logger({ logLevel: 'SILENT' }) }), {
    deadlineMs: Date.now() + 30_000,
  });
}

async function secretValue(fleet: Fleet, secretName: string) {
  const output = await fleet.deployment.secretsManager.send(
    new GetSecretValueCommand({ SecretId: secretName }),
  );
  return parseTokenSecret(secretName, output.SecretString);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Makes the stored token look `seconds` older, as if written that long ago: a refresh then finds it
 * due rather than already fresh. The tests run on the real clock, seconds after the tokens were
 * stored, so they age them past the 10-minute floor between two writes of one secret (invariant
 * 12). The tokens themselves are unchanged, so LWA still accepts the refresh token.
 */
const PAST_THE_WRITE_FLOOR = 700;

async function ageSecret(fleet: Fleet, secretName: string, seconds: number) {
  const value = await secretValue(fleet, secretName);
  const earlier = (iso: string) => new Date(Date.parse(iso) - seconds * 1000).toISOString();
  await fleet.deployment.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: secretName,
      SecretString: serializeTokenSecret({
        ...value,
        accessTokenExpiresAt: earlier(value.accessTokenExpiresAt),
        updatedAt: earlier(value.updatedAt),
      }),
    }),
  );
}

let fleet: Fleet;
const ACTIVE_EU = newSellerId();
const REVOKED_NA = newSellerId();
const RENEWING_FE = newSellerId();
const secretNameOf = (region: string, sellerId: string) =>
  `${fleet.deployment.tokenSecretPrefix}/sellers/${region}/${sellerId}`;

let logs: LogCapture;

beforeAll(async () => {
  logs = captureLogs();
  // Tokens live 10 minutes, less than the refresh lead plus spread: every stored token can be refreshed.
  fleet = await startFleet('ops-cli', { expiresIn: 600 });
  await authorize(fleet, ACTIVE_EU, 'EU');
  await authorize(fleet, REVOKED_NA, 'NA');
  await authorize(fleet, RENEWING_FE, 'FE');
  // The revoked seller: its refresh token is withdrawn, and the refresher finds out.
  fleet.emulator.revokeRefreshTokens(REVOKED_NA);
  await ageSecret(fleet, secretNameOf('NA', REVOKED_NA), PAST_THE_WRITE_FLOOR);
  await setItem(fleet, REVOKED_NA, 'NA', { nextRefreshAt: nowSeconds() - 1 });
  expect((await refreshDue(fleet, 'NA')).reauthRequired).toBe(1);
  // Written by the authorization-expiry work on new authorizations; set here as it would be.
  await setItem(fleet, RENEWING_FE, 'FE', { authorizationExpiresAt: nowSeconds() + 10 * DAY });
}, 60_000);

afterAll(async () => {
  logs.restore();
  await Promise.all(fleets.map((f) => f.emulator.stop()));
});

describe('lwa-tokens list', () => {
  it('prints a table of every seller from the stack’s outputs', async () => {
    // Act
    const run = await cli(['list', '--stack', fleet.stackName], fleet.stackEnv);

    // Assess
    expect(run.code).toBe(0);
    const [header, ...lines] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^SELLER\s+REGION\s+STATUS\s+TOKEN EXPIRES\s+NEXT REFRESH\s+FAILURES\s+LAST ERROR\s+AUTHORIZATION EXPIRES$/,
    );
    expect(lines.find((l) => l.startsWith(ACTIVE_EU))).toMatch(
      /\bEU\s+ACTIVE\s+\d{4}-\d\d-\d\d \d\d:\d\dZ \(in \d+m\)/,
    );
    expect(lines.find((l) => l.startsWith(REVOKED_NA))).toMatch(
      /\bNA\s+REAUTH_REQUIRED\s.*\binvalid_grant\b/,
    );
    expect(lines.find((l) => l.startsWith(RENEWING_FE))).toMatch(/\(in 10d\)$|\(in 9d 23h\)$/);
    expect(lines.at(-1)).toBe('3 items');
  }, 30_000);

  it('filters by region, status and authorization expiry', async () => {
    const byRegion = await cli(['list', '--stack', fleet.stackName, '--region', 'EU'], fleet.stackEnv);
    expect(byRegion.stdout).toContain(ACTIVE_EU);
    expect(byRegion.stdout).not.toContain(REVOKED_NA);

    const byStatus = await cli(
      ['list', '--stack', fleet.stackName, '--status', 'reauth_required'],
      fleet.stackEnv,
    );
    expect(byStatus.stdout).toContain(REVOKED_NA);
    expect(byStatus.stdout).toContain('1 item');

    const expiring = await cli(
      ['list', '--stack', fleet.stackName, '--expiring-within', '30d'],
      fleet.stackEnv,
    );
    expect(expiring.stdout).toContain(RENEWING_FE);
    expect(expiring.stdout).not.toContain(ACTIVE_EU);
    const notYet = await cli(['list', '--stack', fleet.stackName, '--expiring-within', '7d'], fleet.stackEnv);
    expect(notYet.stdout.trim()).toBe('No sellers match.');
  }, 60_000);

  it('--json gives the items for scripts, and long listings report progress on stderr', async () => {
    // Act: flags and environment variables instead of --stack, one item per page
    const run = await cli(['list', '--json', '--page-size', '1'], fleet.deployment.env);

    // Assess
    expect(run.code).toBe(0);
    const items = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(items.map((i) => i.sellerId).sort()).toEqual([ACTIVE_EU, REVOKED_NA, RENEWING_FE].sort());
    expect(items.find((i) => i.sellerId === ACTIVE_EU)).toMatchObject({
      region: 'EU',
      status: 'ACTIVE',
      secretName: secretNameOf('EU', ACTIVE_EU),
      accessTokenExpiresAt: expect.any(Number),
    });
    expect(run.stderr).toMatch(/… read 2 items, 2 match\n… read 3 items, 3 match/);
  }, 30_000);
});

describe('lwa-tokens show', () => {
  it('prints the item and the secret’s versions with stages and dates, never a value', async () => {
    // Prepare: one refresh, so the secret has a current and a previous version
    await ageSecret(fleet, secretNameOf('EU', ACTIVE_EU), PAST_THE_WRITE_FLOOR);
    await setItem(fleet, ACTIVE_EU, 'EU', { nextRefreshAt: nowSeconds() - 1 });
    expect((await refreshDue(fleet, 'EU')).refreshed).toBe(1);
    const versions = await fleet.deployment.secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: secretNameOf('EU', ACTIVE_EU) }),
    );

    // Act
    const run = await cli(['show', ACTIVE_EU, '--region', 'EU', '--stack', fleet.stackName], fleet.stackEnv);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Seller ${ACTIVE_EU} (EU) in ${fleet.deployment.sellerTableName}`);
    expect(run.stdout).toMatch(/status\s+ACTIVE/);
    expect(run.stdout).toMatch(/lastRefreshedAt\s+\d{4}-\d\d-\d\d \d\d:\d\dZ \((now|\d+m ago)\)/);
    expect(run.stdout).toContain(`Secret ${secretNameOf('EU', ACTIVE_EU)}`);
    expect(run.stdout).toMatch(new RegExp(`tags\\s+.*sellerId=${ACTIVE_EU}`));
    for (const version of versions.Versions ?? []) {
      expect(run.stdout).toMatch(
        // A version no stage points to any more (the authorization's, here) is shown as "(none)".
        new RegExp(
          `${version.VersionId}\\s+${(version.VersionStages ?? []).join(',') || '\\(none\\)'}\\s+\\d{4}-`,
        ),
      );
    }
    expect(run.stdout).toMatch(/AWSCURRENT/);
    expect(run.stdout).toMatch(/AWSPREVIOUS/);
  }, 60_000);

  it('--json gives the item and only the metadata', async () => {
    const run = await cli(['show', ACTIVE_EU, '--region', 'EU', '--json'], fleet.deployment.env);
    const shown = JSON.parse(run.stdout) as {
      item: Record<string, unknown>;
      secret: Record<string, unknown>;
    };
    expect(shown.item).toMatchObject({ sellerId: ACTIVE_EU, status: 'ACTIVE' });
    const metadataFields = [
      'name',
      'arn',
      'kmsKeyId',
      'createdDate',
      'lastChangedDate',
      'lastAccessedDate',
      'deletedDate',
      'tags',
      'versions',
    ];
    expect(metadataFields).toEqual(expect.arrayContaining(Object.keys(shown.secret)));
    expect(shown.secret).toMatchObject({ name: secretNameOf('EU', ACTIVE_EU), versions: expect.any(Array) });
  }, 30_000);

  it('names the seller it could not find', async () => {
    const run = await cli(['show', 'A9NOSUCHSELLER', '--region', 'EU'], fleet.deployment.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `No item for seller A9NOSUCHSELLER in EU in table ${fleet.deployment.sellerTableName}`,
    );
  }, 30_000);
});

describe('lwa-tokens refresh', () => {
  it('refreshes now through the refresher’s core, even when not yet due', async () => {
    // Prepare: an old token, whose seller is not due yet
    await ageSecret(fleet, secretNameOf('EU', ACTIVE_EU), PAST_THE_WRITE_FLOOR);
    const before = await secretValue(fleet, secretNameOf('EU', ACTIVE_EU));
    await setItem(fleet, ACTIVE_EU, 'EU', { nextRefreshAt: nowSeconds() + 3600 });

    // Act
    const run = await cli(
      ['refresh', ACTIVE_EU, '--region', 'EU', '--stack', fleet.stackName],
      fleet.stackEnv,
    );

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Refreshed ${ACTIVE_EU} \\(EU\\): the access token expires .* \\(in \\d+m\\); next refresh`,
      ),
    );
    const after = await secretValue(fleet, secretNameOf('EU', ACTIVE_EU));
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(fleet.emulator.isAccessTokenValid(after.accessToken)).toBe(true);
    expect(after.refreshToken).toBe(fleet.emulator.currentRefreshToken(ACTIVE_EU));
  }, 60_000);

  it('says so, and does nothing, while a refresh holds the lease', async () => {
    // Prepare: another refresher's live lease
    const before = await secretValue(fleet, secretNameOf('EU', ACTIVE_EU));
    await setItem(fleet, ACTIVE_EU, 'EU', {
      leaseOwner: 'refresher-run-1',
      leaseExpiresAt: nowSeconds() + 300,
    });

    // Act
    const run = await cli(['refresh', ACTIVE_EU, '--region', 'EU'], fleet.deployment.env);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`A refresh of ${ACTIVE_EU} (EU) is already running`);
    expect((await secretValue(fleet, secretNameOf('EU', ACTIVE_EU))).accessToken).toBe(before.accessToken);
    await setItem(fleet, ACTIVE_EU, 'EU', { leaseExpiresAt: nowSeconds() - 1 });
  }, 30_000);

  it('points a seller who must authorize again to the authorize link', async () => {
    const run = await cli(
      ['refresh', REVOKED_NA, '--region', 'NA', '--stack', fleet.stackName],
      fleet.stackEnv,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${REVOKED_NA} (NA) is REAUTH_REQUIRED (invalid_grant)`);
    expect(run.stderr).toContain(`${AUTHORIZE_URL}?region=NA`);
  }, 30_000);
});

describe('lwa-tokens disconnect', () => {
  it('asks first, and a "no" changes nothing', async () => {
    const run = await cli(['disconnect', RENEWING_FE, '--region', 'FE'], fleet.deployment.env, 'n\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Disconnect .* \[y\/N\] Cancelled; nothing was changed\./);
    const item = await fleet.deployment.documentClient.send(
      new GetCommand({
        TableName: fleet.deployment.sellerTableName,
        Key: { sellerId: RENEWING_FE, region: 'FE' },
      }),
    );
    expect(item.Item?.status).toBe('ACTIVE');
    await fleet.deployment.secretsManager.send(
      new DescribeSecretCommand({ SecretId: secretNameOf('FE', RENEWING_FE) }),
    );
  }, 30_000);

  it('on "yes", removes the item, schedules the secret’s deletion and prints how to undo', async () => {
    // Act
    const run = await cli(
      ['disconnect', RENEWING_FE, '--region', 'FE', '--stack', fleet.stackName],
      fleet.stackEnv,
      'y\n',
    );

    // Assess
    expect(run.code).toBe(0);
    const secretName = secretNameOf('FE', RENEWING_FE);
    expect(run.stdout).toContain(`Removed ${RENEWING_FE} (FE) from ${fleet.deployment.sellerTableName}.`);
    expect(run.stdout).toMatch(new RegExp(`Scheduled secret ${secretName} for deletion .*\\(in 7d\\)`));
    expect(run.stdout).toContain(`aws secretsmanager restore-secret --secret-id '`);
    expect(run.stdout).toContain(`aws dynamodb put-item --table-name '${fleet.deployment.sellerTableName}'`);
    const described = await fleet.deployment.secretsManager.send(
      new DescribeSecretCommand({ SecretId: secretName }),
    );
    expect(described.DeletedDate).toBeDefined();
    const list = await cli(['list', '--json'], fleet.deployment.env);
    expect((JSON.parse(list.stdout) as Array<{ sellerId: string }>).map((i) => i.sellerId)).not.toContain(
      RENEWING_FE,
    );
  }, 30_000);

  it('refuses while a refresh holds the lease, and --force --yes deletes at once', async () => {
    // Prepare
    const sellerId = newSellerId();
    await authorize(fleet, sellerId, 'EU');
    await setItem(fleet, sellerId, 'EU', {
      leaseOwner: 'refresher-run-2',
      leaseExpiresAt: nowSeconds() + 300,
    });

    // Act
    const refused = await cli(
      ['disconnect', sellerId, '--region', 'EU', '--force', '--yes'],
      fleet.deployment.env,
    );
    await setItem(fleet, sellerId, 'EU', { leaseExpiresAt: nowSeconds() - 1 });
    const forced = await cli(
      ['disconnect', sellerId, '--region', 'EU', '--force', '--yes'],
      fleet.deployment.env,
    );

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('is running right now; nothing was changed');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('at once; it cannot be restored');
    await expect(
      fleet.deployment.secretsManager.send(
        new DescribeSecretCommand({ SecretId: secretNameOf('EU', sellerId) }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 60_000);
  it('finishes a disconnect whose secret deletion failed, when run again', async () => {
    // Prepare: the item is gone but the secret is not, as after a DeleteSecret that was denied
    const sellerId = newSellerId();
    await authorize(fleet, sellerId, 'NA');
    await fleet.deployment.documentClient.send(
      new DeleteCommand({ TableName: fleet.deployment.sellerTableName, Key: { sellerId, region: 'NA' } }),
    );

    // Act
    const again = await cli(['disconnect', sellerId, '--region', 'NA', '--yes'], fleet.deployment.env);
    const thrice = await cli(['disconnect', sellerId, '--region', 'NA', '--yes'], fleet.deployment.env);

    // Assess
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Scheduled secret ${secretNameOf('NA', sellerId)} for deletion`);
    expect(again.stdout).toContain('The item was already removed');
    expect(thrice.code).toBe(1);
    expect(thrice.stderr).toContain(`${sellerId} (NA) is already disconnected`);
  }, 60_000);
});

describe('lwa-tokens health', () => {
  let healthy: Fleet;
  const SELLER = newSellerId();

  beforeAll(async () => {
    healthy = await startFleet('ops-health', {
      expiresIn: 3600,
      appSecretFields: { clientSecretExpiresAt: new Date(Date.now() + 90 * DAY * 1000).toISOString() },
    });
    await authorize(healthy, SELLER, 'NA');
  }, 60_000);

  it('exits 0 on a healthy fleet, with counts, client-secret expiry and the last refresh', async () => {
    const run = await cli(['health', '--stack', healthy.stackName], healthy.stackEnv);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ACTIVE\s+1\n/);
    expect(run.stdout).toMatch(/Tokens expired now:\s+0/);
    expect(run.stdout).toMatch(/Oldest overdue refresh:\s+none/);
    expect(run.stdout).toMatch(/Client secret expires:\s+\d{4}-.*\(in (89d 23h|90d)\)/);
    expect(run.stdout).toMatch(/Last refresh written:\s+\d{4}-.*\((now|\d+m ago)\)/);
    expect(run.stdout.trimEnd().endsWith('Healthy.')).toBe(true);
  }, 30_000);

  it('exits 1 and says why when a token expired unrefreshed, a refresh is overdue and the client secret is about to expire', async () => {
    // Prepare: the refresher stopped 20 minutes ago; the client secret has 3 days left
    await setItem(healthy, SELLER, 'NA', {
      accessTokenExpiresAt: nowSeconds() - 600,
      nextRefreshAt: nowSeconds() - 1200,
    });
    const app = JSON.parse(
      (
        await healthy.deployment.secretsManager.send(
          new GetSecretValueCommand({ SecretId: healthy.deployment.appSecretId }),
        )
      ).SecretString ?? '{}',
    ) as Record<string, unknown>;
    await healthy.deployment.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: healthy.deployment.appSecretId,
        SecretString: JSON.stringify({
          ...app,
          clientSecretExpiresAt: new Date(Date.now() + 3 * DAY * 1000).toISOString(),
        }),
      }),
    );

    // Act
    const run = await cli(['health', '--stack', healthy.stackName], healthy.stackEnv);
    const json = await cli(['health', '--json'], healthy.deployment.env);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Needs attention (3):');
    expect(run.stdout).toContain(
      `tokens expired: 1 refreshable token(s) expired without a refresh: ${SELLER} (NA)`,
    );
    expect(run.stdout).toMatch(new RegExp(`refresh overdue: ${SELLER} \\(NA\\) was due 20m ago`));
    expect(run.stdout).toMatch(/client secret: expires in (2d 23h|3d); rotate it before then/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      healthy: false,
      tokensExpired: 1,
      countsByStatus: { ACTIVE: 1 },
    });
  }, 30_000);
});

describe('every command', () => {
  it.each(['list', 'show', 'refresh', 'disconnect', 'health', 'device-login'])(
    '%s --help prints its usage',
    async (command) => {
      const run = await cli([command, '--help'], {});
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: lwa-tokens ${command}`);
    },
    30_000,
  );

  it('names the missing output, flag and variable', async () => {
    const noSettings = { SELLER_TABLE_NAME: undefined, LWA_TOKENS_STACK: undefined };
    const missing = await cli(['list'], noSettings);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Missing SellerTableName: pass --stack NAME');
    expect(missing.stderr).toContain('SELLER_TABLE_NAME');

    const unknownStack = await cli(['health', '--stack', 'no-such-stack'], noSettings);
    expect(unknownStack.code).toBe(1);
    expect(unknownStack.stderr).toContain('Stack no-such-stack does not exist');

    const badRegion = await cli(['show', 'A1X', '--region', 'XX'], noSettings);
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toMatch(/--region must be NA, EU or FE\.[\s\S]*Usage: lwa-tokens show/);
  }, 60_000);

  it('names the table it could not find', async () => {
    const run = await cli(['list', '--seller-table', 'no-such-table'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Not found: table no-such-table (dynamodb:Scan)');
  }, 30_000);
});

describe('leaks', () => {
  it('no token or client secret in anything the CLI printed', () => {
    const secrets = [...fleets.flatMap((f) => f.emulator.issuedSecrets()), DEFAULT_CLIENT.clientSecret];
    expect(secrets.length).toBeGreaterThan(5);
    expect(runs.length).toBeGreaterThan(20);
    const leaking = runs.filter((run) => secrets.some((s) => `${run.stdout}${run.stderr}`.includes(s)));
    expect(leaking).toEqual([]);
    // And the handlers that wrote what the CLI read logged none either.
    expect(logs.lines.some((line) => line.includes('Seller authorized'))).toBe(true);
    expect(logs.leaksOf(secrets)).toEqual([]);
  });
});
