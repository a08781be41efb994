import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
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
import { type CliRun, runLwaTokens } from '../../support/lwa-tokens-cli';

const ORIGINAL_SECRET = 'amzn1.oa2-cs.v1.cli-original-secret-0123456789';
const DAY = 86_400_000;

/** Runs `lwa-tokens` as an operator would, in its own process. */
function runCli(args: string[], env: Readonly<Record<string, string | undefined>>): Promise<CliRun> {
  return runLwaTokens(args, env);
}

/** A moto CloudFormation stack whose only purpose is its outputs, as `cdk deploy` would leave them. */
async function stackWithOutputs(outputs: Record<string, string>): Promise<string> {
  const stackName = uniqueName('rotation-cli-stack');
  await new CloudFormationClient({}).send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({
        Resources: { Marker: { Type: 'AWS::SQS::Queue' } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
      }),
    }),
  );
  return stackName;
}

describe('npx lwa-tokens rotate-client-secret / client-secret-status (subprocess, moto + emulators)', () => {
  let lwa: LwaEmulator;
  let spApi: SpApiEmulator;
  let deployment: EmulatedDeployment;
  let env: Record<string, string>;
  let queueUrl: string;
  const expiresAt = new Date(Date.now() + 20 * DAY).toISOString();
  /** The SP-API emulator's clock: it allows one rotation a minute. */
  let spApiNow = Date.now();

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
      now: () => spApiNow,
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

  it('each command has --help with the shared settings, and a missing setting is named', async () => {
    const rotateHelp = await runCli(['rotate-client-secret', '--help'], env);
    const statusHelp = await runCli(['client-secret-status', '--help'], env);
    const missing = await runCli(['rotate-client-secret'], { ...env, STATE_TABLE_NAME: '' });

    for (const [help, command] of [
      [rotateHelp, 'rotate-client-secret'],
      [statusHelp, 'client-secret-status'],
    ] as const) {
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: lwa-tokens ${command}`);
      expect(help.stdout).toMatch(/--stack NAME .*\[LWA_TOKENS_STACK\]/);
      expect(help.stdout).toMatch(/--app-secret-id ID .*\(output AppSecretArn\) .*\[APP_SECRET_ID\]/);
      expect(help.stdout).toMatch(/--state-table NAME .*\(output StateTableName\) .*\[STATE_TABLE_NAME/);
    }
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      "Missing StateTableName: pass --stack NAME (reads the stack's outputs), --state-table, or set STATE_TABLE_NAME.",
    );
  }, 60_000);

  it('names the missing app secret, the stack output it lacks, and bad usage', async () => {
    const noSettings = { APP_SECRET_ID: undefined, STATE_TABLE_NAME: undefined, LWA_TOKENS_STACK: undefined };
    const stackWithoutStateTable = await stackWithOutputs({ AppSecretArn: deployment.appSecretId });

    const status = await runCli(['client-secret-status'], { ...env, ...noSettings });
    const rotate = await runCli(['rotate-client-secret', '--stack', stackWithoutStateTable], {
      ...env,
      ...noSettings,
    });
    const unknownStack = await runCli(['client-secret-status', '--stack', 'no-such-stack'], {
      ...env,
      ...noSettings,
    });
    const badRegion = await runCli(['rotate-client-secret', '--application-region', 'US'], env);
    const positional = await runCli(['client-secret-status', 'extra'], env);

    expect(status.code).toBe(1);
    expect(status.stderr).toContain(
      "Missing AppSecretArn: pass --stack NAME (reads the stack's outputs), --app-secret-id, or set APP_SECRET_ID.",
    );
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain(
      `Stack ${stackWithoutStateTable} has no output StateTableName. Pass --state-table or set STATE_TABLE_NAME.`,
    );
    expect(unknownStack.code).toBe(1);
    expect(unknownStack.stderr).toContain('Stack no-such-stack does not exist');
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toMatch(
      /--application-region must be NA, EU or FE\.[\s\S]*Usage: lwa-tokens rotate-client-secret/,
    );
    expect(positional.code).toBe(2);
    expect(positional.stderr).toMatch(
      /Unexpected argument "extra"[\s\S]*Usage: lwa-tokens client-secret-status/,
    );
    expect(spApi.rotationCount()).toBe(0);
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

  it('with --stack, both commands read the app secret and the state table from the stack outputs', async () => {
    // Prepare: only endpoints in the environment, as on an operator's machine
    const stackName = await stackWithOutputs({
      AppSecretArn: deployment.appSecretId,
      StateTableName: deployment.stateTableName,
    });
    const stackEnv = {
      ...env,
      APP_SECRET_ID: undefined,
      STATE_TABLE_NAME: undefined,
      LWA_TOKENS_STACK: undefined,
    };
    const rotationsBefore = spApi.rotationCount();
    spApiNow += 61_000; // past Amazon's one-rotation-a-minute quota, which the test above used

    // Act
    const statusBefore = await runCli(['client-secret-status', '--stack', stackName], stackEnv);
    const requested = await runCli(['rotate-client-secret', '--stack', stackName], stackEnv);
    const statusAfter = await runCli(['client-secret-status'], { ...stackEnv, LWA_TOKENS_STACK: stackName });

    // Assess: the rotation record is read from and written to the stack's state table
    expect(statusBefore.code).toBe(0);
    expect(statusBefore.stdout).toContain(`Client id:                ${DEFAULT_CLIENT.clientId}`);
    expect(statusBefore.stdout).toContain('Rotation of this secret:  not requested');
    expect(requested).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Asked Amazon for a new client secret'),
    });
    expect(spApi.rotationCount()).toBe(rotationsBefore + 1);
    expect(statusAfter.code).toBe(0);
    expect(statusAfter.stdout).toMatch(/Rotation of this secret: +requested at/);
    for (const run of [statusBefore, requested, statusAfter]) expectNoSecret(run.stdout + run.stderr);
  }, 90_000);
});
