// A consumer's own CDK app: installs lwa-token-service-constructs from its npm tarball and lets
// its own Lambda read tokens. Synthesized with cdk-nag; scripts/test-consumers.sh checks the template.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { LwaRegion, LwaTokenService } from 'lwa-token-service-constructs';

const app = new App();
const stack = new Stack(app, 'ConsumerStack');

const service = new LwaTokenService(stack, 'Tokens', { refreshRegions: [LwaRegion.NA, LwaRegion.EU] });

const reader = new lambda.Function(stack, 'SpApiReader', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
  timeout: Duration.seconds(10),
  memorySize: 256,
});
service.grantReadTokens(reader);

// The consumer's own function is a stand-in; only the library's resources must be nag-clean.
for (const id of [
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  'Serverless-LambdaDLQ',
  'Serverless-LambdaTracing',
]) {
  Validations.of(reader).acknowledge({
    id,
    reason: 'The consumer test function is not part of the library.',
  });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
