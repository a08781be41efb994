import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { loadRefreshConfig } from '../../../lambda/refresh/config';
import { runRefresh } from '../../../lambda/refresh/refresher';
import { createRefreshDeps } from '../../../lambda/refresh/wiring';
import { parseTokenSecret } from '../../../lambda/shared/token-secret';
import { type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { deployToEmulators, type EmulatedDeployment } from '../../support/emulated-deployment';

const CLI = path.resolve(__dirname, '../../../bin/lwa-tokens.cjs');

/**
 * Runs `lwa-tokens` as a user would, collecting its output; `exited` resolves with the exit code.
 * `waitFor` is driven by the output itself, not by a clock: it resolves on the chunk that completes
 * the pattern and fails only if the CLI exits without printing it. How long a cold start takes
 * on a loaded machine (tsx compiles the CLI first) is bounded by the test's timeout alone.
 */
function runCli(args: string[], env: Record<string, string>) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  let exitCode: number | null | undefined;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    notify();
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exitCode = code;
      resolve(code);
      notify();
    }),
  );
  const waitFor = (pattern: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const match = stdout.match(pattern);
        if (match) {
          listeners.delete(check);
          resolve(match);
        } else if (exitCode !== undefined) {
          listeners.delete(check);
          reject(
            new Error(
              `CLI exited (${exitCode}) without printing ${pattern}; stdout: ${stdout} stderr: ${stderr}`,
            ),
          );
        }
      };
      listeners.add(check);
      check();
    });
  return { child, exited, waitFor, output: () => ({ stdout, stderr }) };
}

describe('npx lwa-tokens device-login (subprocess, moto + LWA emulator)', () => {
  let emulator: LwaEmulator;
  let deployment: EmulatedDeployment;

  beforeAll(async () => {
    emulator = await startLwaEmulator({ expiresIn: 600, rotation: 'every-refresh' });
    deployment = await deployToEmulators({ lwaUrl: emulator.url, namePrefix: 'device-cli' });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  const args = (accountId: string) => [
    'device-login',
    '--region',
    'EU',
    '--scope',
    'profile',
    '--account-id',
    accountId,
  ];

  it('shows the URL and code, stores the account once approved, and the refresher then refreshes it', async () => {
    // Prepare
    const cli = runCli(args('living-room-tv'), deployment.env);

    // Act: the user reads the code and approves it
    const [, url, userCode] = (await cli.waitFor(/open (\S+) and enter the code: (\w+)/)) as RegExpMatchArray;
    await cli.waitFor(/Waiting for authorization/);
    emulator.approveDevice(userCode as string);
    const code = await cli.exited;

    // Assess: the CLI's output and what it stored
    expect(code).toBe(0);
    expect(url).toBe(`${emulator.url}/device`);
    expect(cli.output().stdout).toMatch(
      /Authorized\. Stored the tokens of device account living-room-tv \(EU\)/,
    );
    const secretName = `${deployment.tokenSecretPrefix}/devices/EU/living-room-tv`;
    const stored = await deployment.secretsManager.send(new GetSecretValueCommand({ SecretId: secretName }));
    const value = parseTokenSecret(secretName, stored.SecretString);
    expect(value).toMatchObject({ accountId: 'living-room-tv', scope: 'profile', region: 'EU' });
    expect(emulator.isAccessTokenValid(value.accessToken)).toBe(true);
    const key = { sellerId: 'device#living-room-tv', region: 'EU' };
    const item = (
      await deployment.documentClient.send(
        new GetCommand({ TableName: deployment.sellerTableName, Key: key }),
      )
    ).Item;
    expect(item).toMatchObject({ kind: 'device', status: 'ACTIVE', secretName });
    const allOutput = `${cli.output().stdout}${cli.output().stderr}`;
    for (const secret of emulator.issuedSecrets()) expect(allOutput).not.toContain(secret);

    // Act: ten minutes pass for the refresher (the 600 s token has expired, and the secret may be
    // written again), the item is due, and the refresher runs
    const later = () => Date.now() + 600_000;
    await deployment.documentClient.send(
      new UpdateCommand({
        TableName: deployment.sellerTableName,
        Key: key,
        UpdateExpression: 'SET nextRefreshAt = :due',
        ExpressionAttributeValues: { ':due': Math.floor(later() / 1000) - 1 },
      }),
    );
    const config = loadRefreshConfig({ ...deployment.env, REFRESH_REGIONS: 'EU' });
    const summary = await runRefresh(
      createRefreshDeps(config, { log: new Logger({ logLevel: 'SILENT' }), clock: later }),
      { deadlineMs: later() + 30_000 },
    );

    // Assess
    expect(summary.refreshed).toBe(1);
    const refreshed = parseTokenSecret(
      secretName,
      (await deployment.secretsManager.send(new GetSecretValueCommand({ SecretId: secretName })))
        .SecretString,
    );
    expect(refreshed.accessToken).not.toBe(value.accessToken);
    expect(refreshed.refreshToken).toBe(emulator.currentRefreshToken(userCode as string));
  }, 60_000);

  it('Ctrl-C while waiting stops at once and stores nothing', async () => {
    // Prepare
    const cli = runCli(args('cancelled-device'), deployment.env);
    await cli.waitFor(/Waiting for authorization/);

    // Act
    cli.child.kill('SIGINT');
    const code = await cli.exited;

    // Assess
    expect(code).toBe(130);
    expect(cli.output().stderr).toContain('Cancelled; nothing was stored.');
    const secrets = await deployment.secretsManager.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: [`${deployment.tokenSecretPrefix}/devices/EU/cancelled`] }],
      }),
    );
    expect(secrets.SecretList ?? []).toEqual([]);
    const item = await deployment.documentClient.send(
      new GetCommand({
        TableName: deployment.sellerTableName,
        Key: { sellerId: 'device#cancelled-device', region: 'EU' },
      }),
    );
    expect(item.Item).toBeUndefined();
  }, 60_000);

  it('names the missing setting when the environment lacks it', async () => {
    const { SELLER_TABLE_NAME: _omitted, ...env } = deployment.env;
    const cli = runCli(args('no-table'), { ...env, SELLER_TABLE_NAME: '' });
    expect(await cli.exited).toBe(1);
    expect(cli.output().stderr).toContain('SELLER_TABLE_NAME');
  }, 30_000);

  it('rejects a malformed account id with the usage text', async () => {
    const cli = runCli(
      ['device-login', '--region', 'EU', '--scope', 'profile', '--account-id', '../etc'],
      deployment.env,
    );
    expect(await cli.exited).toBe(2);
    expect(cli.output().stderr).toMatch(/--account-id must be[\s\S]*Usage: lwa-tokens device-login/);
  }, 30_000);
});
