# A consumer's own CDK app in Python: installs lwa-token-service-constructs from its wheel and
# lets its own Lambda read tokens. Synthesized with cdk-nag; scripts/test-consumers.sh checks it.
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from lwa_token_service_constructs import LwaRegion, LwaTokenService

app = cdk.App()
stack = cdk.Stack(app, "ConsumerStack")

service = LwaTokenService(stack, "Tokens", refresh_regions=[LwaRegion.NA, LwaRegion.EU])

reader = lambda_.Function(
    stack,
    "SpApiReader",
    runtime=lambda_.Runtime.PYTHON_3_14,
    handler="index.handler",
    code=lambda_.Code.from_inline("def handler(event, context):\n    return {'ok': True}\n"),
    timeout=cdk.Duration.seconds(10),
    memory_size=256,
)
service.grant_read_tokens(reader)

# The consumer's own function is a stand-in; only the library's resources must be nag-clean.
for rule in [
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "Serverless-LambdaDLQ",
    "Serverless-LambdaTracing",
]:
    cdk.Validations.of(reader).acknowledge(
        cdk.Acknowledgment(id=rule, reason="The consumer test function is not part of the library.")
    )

cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
app.synth()
