import 'aws-sdk-client-mock-jest';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { Flags } from '../../../cli/args';
import { describeAwsFailure, OperatorError } from '../../../cli/errors';
import { Settings } from '../../../cli/settings';

const cloudFormation = mockClient(CloudFormationClient);

beforeEach(() => cloudFormation.reset());

function settings(flags: Record<string, string>, env: Record<string, string> = {}) {
  return new Settings(new Flags(flags), env, () => new CloudFormationClient({}));
}

function stackWith(outputs: Record<string, string>) {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'tokens',
        CreationTime: new Date(0),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

describe('Settings', () => {
  it('takes a flag over a variable over a stack output, and asks CloudFormation only when needed', async () => {
    // Prepare
    stackWith({ SellerTableName: 'from-stack', AppSecretArn: 'arn:app', TokenKmsKeyArn: 'arn:key' });
    const resolved = settings(
      { stack: 'tokens', 'seller-table': 'from-flag' },
      { APP_SECRET_ID: 'from-env' },
    );

    // Act
    const table = await resolved.require('sellerTableName');
    const appSecret = await resolved.require('appSecretId');
    const callsSoFar = cloudFormation.commandCalls(DescribeStacksCommand).length;
    const key = await resolved.require('kmsKeyId');
    const prefix = await resolved.require('tokenSecretPrefix');

    // Assess
    expect([table, appSecret, key, prefix]).toEqual(['from-flag', 'from-env', 'arn:key', 'lwa-tokens']);
    expect(callsSoFar).toBe(0);
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'tokens' });
  });

  it('reads the stack name from LWA_TOKENS_STACK too', async () => {
    stackWith({ SellerTableName: 'from-stack' });
    expect(await settings({}, { LWA_TOKENS_STACK: 'tokens' }).require('sellerTableName')).toBe('from-stack');
  });

  it('names the output, the flag and the variable when the stack lacks the output', async () => {
    stackWith({});
    await expect(settings({ stack: 'tokens' }).require('sellerTableName')).rejects.toThrow(
      new OperatorError(
        'Stack tokens has no output SellerTableName. Pass --seller-table or set SELLER_TABLE_NAME.',
      ),
    );
  });

  it('names the missing permission when DescribeStacks is denied', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    await expect(settings({ stack: 'tokens' }).require('sellerTableName')).rejects.toThrow(
      'Permission denied: cloudformation:DescribeStacks on stack tokens.',
    );
  });
});

describe('describeAwsFailure', () => {
  it.each([
    ['AccessDeniedException', 'Permission denied: dynamodb:Scan on table t. Grant dynamodb:Scan'],
    ['ResourceNotFoundException', 'Not found: table t (dynamodb:Scan).'],
    ['ThrottlingException', 'dynamodb:Scan on table t failed: ThrottlingException: slow down'],
  ])('%s becomes an actionable message', (name, message) => {
    const error = describeAwsFailure(
      Object.assign(new Error('slow down'), { name }),
      'dynamodb:Scan',
      'table t',
    );
    expect(error).toBeInstanceOf(OperatorError);
    expect(error.message).toContain(message);
  });
});
