import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { handleRotationNotification } from '../../../lambda/rotation/client-secret-rotation';
import { loadRotationConfig } from '../../../lambda/rotation/config';
import { createRotationDeps } from '../../../lambda/rotation/wiring';
import { DEFAULT_CLIENT, type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { ROTATION_SCOPE, type SpApiEmulator, startSpApiEmulator } from '../../emulators/spapi';
import { uniqueName } from '../../support/aws-test-env';
import { deployToEmulators, type EmulatedDeployment } from '../../support/emulated-deployment';

const CLI = path.resolve(__dirname, '../../../bin/lwa-tokens.cjs');
const ORIGINAL_SECRET = 'amzn1.oa2-cs.v1.cli-original-secret-0123456789';
const DAY = 86_400_000;

/** Runs `lwa-tokens` as an operator would; resolves with its exit code and output. */
function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npx lwa-tokens rotate-client-secret / client-secret-status (subprocess, moto + emulators)', () => {
  let lwa: LwaEmulator;
  let spApi: SpApiEmulator;
  let deployment: EmulatedDeployment;
  let env: Record<string, string>;
  let queueUrl: string;
  const expiresAt = new Date(Date.now() + 20 * DAY).toISOString();

  beforeAll(async () => {
    lwa = await startLwaEmulator({
      clients: [{ clientId: DEFAULT_CLIENT.clientId, clientSecret: ORIGINAL_SECRET }],
    });
    deployment = await deployToEmulators({
      lwaUrl: lwa.url,
      clientSecret: ORIGINAL_SECRET,
      namePrefix: 'rotation-cli',
      extraAppSecretFields: { clientSecretExpiresAt: expiresAt },
    });
    queueUrl = (
      await new SQSClient({}).send(new CreateQueueCommand({ QueueName: uniqueName('cli-notifications') }))
    ).QueueUrl as string;
    spApi = await startSpApiEmulator({
      lwa,
      clientId: DEFAULT_CLIENT.clientId,
      notificationQueueUrl: queueUrl,
    });
    env = {
      ...deployment.env,
      SPAPI_ENDPOINTS: JSON.stringify({ NA: spApi.url }),
      NOTIFICATION_DLQ_URL: 'unused-by-the-cli',
    };
  });

  afterAll(async () => {
    await spApi?.stop();
    await lwa?.stop();
  });

  const allSecrets = () => [...lwa.clientSecrets(), ...lwa.issuedSecrets()];
  const expectNoSecret = (text: string) => {
    for (const secret of allSecrets()) expect(text).not.toContain(secret);
  };

  it('each command has --help, and a missing setting is named', async () => {
    const rotateHelp = await runCli(['rotate-client-secret', '--help'], env);
    const statusHelp = await runCli(['client-secret-status', '--help'], env);
    const missing = await runCli(['rotate-client-secret'], { ...env, STATE_TABLE_NAME: '' });

    expect(rotateHelp).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Usage: lwa-tokens rotate-client-secret'),
    });
    expect(statusHelp).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Usage: lwa-tokens client-secret-status'),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('STATE_TABLE_NAME');
  }, 60_000);

  it('a refused rotation names the fix; then a rotation is requested once, stored, and the status shows both expiries', async () => {
    // Prepare: Amazon refuses the first request
    spApi.failNext(403);

    // Act + Assess: the refusal
    const refused = await runCli(['rotate-client-secret'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(ROTATION_SCOPE);
    expect(refused.stderr).toContain('npx lwa-tokens rotate-client-secret');
    const refusedStatus = await runCli(['client-secret-status'], env);
    expect(refusedStatus.stdout).toContain('refused by Amazon (403)');

    // Act + Assess: the operator asks again, twice
    const requested = await runCli(['rotate-client-secret'], env);
    const again = await runCli(['rotate-client-secret'], env);
    expect(requested).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Asked Amazon for a new client secret'),
    });
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('already requested; nothing was done'),
    });
    expect(spApi.rotationCount()).toBe(1);
    const before = await runCli(['client-secret-status'], env);
    expect(before.stdout).toMatch(/Current secret expires: +\S+ \(in 19 day\(s\)\)/);
    expect(before.stdout).toContain('Previous secret:          none');
    expect(before.stdout).toMatch(/Rotation of this secret: +requested at/);

    // The rotation function stores the secret Amazon sent to the queue
    const sqs = new SQSClient({});
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(received.Messages).toHaveLength(1);
    const deps = createRotationDeps(loadRotationConfig(env), { log: new Logger({ logLevel: 'SILENT' }) });
    await expect(handleRotationNotification(deps, received.Messages?.[0]?.Body as string)).resolves.toBe(
      'stored',
    );
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received.Messages?.[0]?.ReceiptHandle }),
    );

    // Assess: the status after the rotation
    const after = await runCli(['client-secret-status'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/Current secret expires: +\S+ \(in 179 day\(s\)\)/);
    expect(after.stdout).toMatch(/Previous secret: +usable until \S+ \(in 6 day\(s\)\)/);
    expect(after.stdout).toContain('Rotation of this secret:  not requested');
    for (const run of [refused, refusedStatus, requested, again, before, after])
      expectNoSecret(run.stdout + run.stderr);
  }, 90_000);
});
