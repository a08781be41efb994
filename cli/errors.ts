/** Bad command-line input; printed with the command's help text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the operator can act on; its message says what to do. Printed alone, exit code 1. */
export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorError';
  }
}

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
]);

/**
 * Turns an AWS SDK failure into an OperatorError that names the IAM action and the resource, so
 * "AccessDeniedException" becomes "grant dynamodb:Scan on table X". The SDK's own message is kept
 * only for unexpected failures: AWS error messages hold ARNs and names, never token values.
 */
export function describeAwsFailure(error: unknown, action: string, resource: string): OperatorError {
  const name = error instanceof Error ? error.name : 'Error';
  if (DENIED.has(name)) {
    return new OperatorError(
      `Permission denied: ${action} on ${resource}. Grant ${action} to the AWS identity running lwa-tokens (check AWS_PROFILE).`,
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new OperatorError(
      `Not found: ${resource} (${action}). Check the stack, the flags and AWS_REGION.`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return new OperatorError('No AWS credentials found. Set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables.');
  }
  const message = error instanceof Error ? error.message : String(error);
  return new OperatorError(`${action} on ${resource} failed: ${name}: ${message}`);
}

/** Runs an AWS call and translates its failure with describeAwsFailure. */
export async function awsCall<T>(action: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw describeAwsFailure(error, action, resource);
  }
}
