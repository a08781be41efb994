import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { DEFAULT_TOKEN_SECRET_PREFIX } from '../lambda/shared/secret-names';
import type { Flags } from './args';
import { describeAwsFailure, OperatorError } from './errors';

/**
 * The deployment facts the operator commands need, each from (first wins) its flag, its
 * environment variable, or the stack output of the same meaning.
 */
export const SETTINGS = {
  sellerTableName: { flag: 'seller-table', env: 'SELLER_TABLE_NAME', output: 'SellerTableName' },
  appSecretId: { flag: 'app-secret-id', env: 'APP_SECRET_ID', output: 'AppSecretArn' },
  tokenSecretPrefix: { flag: 'token-secret-prefix', env: 'TOKEN_SECRET_PREFIX', output: 'TokenSecretPrefix' },
  kmsKeyId: { flag: 'kms-key-id', env: 'TOKEN_KMS_KEY_ID', output: 'TokenKmsKeyArn' },
  authorizeUrl: { flag: 'authorize-url', env: 'AUTHORIZE_URL', output: 'AuthorizeUrl' },
  eventBusName: { flag: 'event-bus', env: 'EVENT_BUS_NAME', output: 'EventBusName' },
  stateTableName: { flag: 'state-table', env: 'STATE_TABLE_NAME', output: 'StateTableName' },
} as const;
export type SettingName = keyof typeof SETTINGS;

/** parseArgs option specs for the setting flags and `--stack`, shared by every command. */
export const SETTING_OPTIONS = {
  stack: { type: 'string' },
  ...Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' }])),
} as Record<string, { type: 'string' }>;

export const SETTINGS_HELP = `Deployment settings (first found wins: flag, environment variable, output of --stack):
  --stack NAME              read the outputs below from this CloudFormation stack  [LWA_TOKENS_STACK]
  --seller-table NAME       sellers table           (output SellerTableName)    [SELLER_TABLE_NAME]
  --app-secret-id ID        app credentials secret  (output AppSecretArn)       [APP_SECRET_ID]
  --token-secret-prefix P   token secret prefix     (output TokenSecretPrefix)  [TOKEN_SECRET_PREFIX, default lwa-tokens]
  --kms-key-id ARN          token secrets' key      (output TokenKmsKeyArn)     [TOKEN_KMS_KEY_ID]
  --authorize-url URL       for re-authorize links  (output AuthorizeUrl)       [AUTHORIZE_URL]
AWS credentials and region come from the AWS SDK's usual configuration (AWS_PROFILE, AWS_REGION, …).`;

type Env = Readonly<Record<string, string | undefined>>;

/** Settings looked up lazily, so a command only asks CloudFormation when a flag or variable is missing. */
export class Settings {
  private outputs?: Promise<Readonly<Record<string, string>>>;

  constructor(
    private readonly flags: Flags,
    private readonly env: Env,
    private readonly cloudFormation: () => CloudFormationClient = () => new CloudFormationClient({}),
  ) {}

  private get stackName(): string | undefined {
    return this.flags.string('stack')?.trim() || this.env.LWA_TOKENS_STACK?.trim() || undefined;
  }

  /** The setting's value; throws an OperatorError naming the flag, variable and output when none has it. */
  async require(name: SettingName): Promise<string> {
    const value = await this.optional(name);
    if (value !== undefined) return value;
    if (name === 'tokenSecretPrefix') return DEFAULT_TOKEN_SECRET_PREFIX;
    const { flag, env, output } = SETTINGS[name];
    const stack = this.stackName;
    throw new OperatorError(
      stack
        ? `Stack ${stack} has no output ${output}. Pass --${flag} or set ${env}.`
        : `Missing ${output}: pass --stack NAME (reads the stack's outputs), --${flag}, or set ${env}.`,
    );
  }

  async optional(name: SettingName): Promise<string | undefined> {
    const { flag, env, output } = SETTINGS[name];
    const fromFlag = this.flags.string(flag)?.trim();
    if (fromFlag) return fromFlag;
    const fromEnv = this.env[env]?.trim();
    if (fromEnv) return fromEnv;
    if (!this.stackName) return undefined;
    return (await this.stackOutputs())[output];
  }

  private stackOutputs(): Promise<Readonly<Record<string, string>>> {
    this.outputs ??= this.describeStack(this.stackName as string);
    return this.outputs;
  }

  private async describeStack(stackName: string): Promise<Readonly<Record<string, string>>> {
    let stack: DescribeStacksCommandOutput;
    try {
      stack = await this.cloudFormation().send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (error) {
      if (error instanceof Error && /does not exist/.test(error.message)) {
        throw new OperatorError(
          `Stack ${stackName} does not exist in this account and region. Check --stack and AWS_REGION.`,
        );
      }
      throw describeAwsFailure(error, 'cloudformation:DescribeStacks', `stack ${stackName}`);
    }
    const outputs: Record<string, string> = {};
    for (const output of stack.Stacks?.[0]?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
    }
    return outputs;
  }
}
