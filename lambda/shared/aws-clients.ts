import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients are built once per execution environment. Endpoints come only from the SDK's own
 * configuration (AWS_ENDPOINT_URL and friends), which is how tests and the local run point them
 * at moto; no handler has a test-only branch.
 */
/** `maxAttempts: 1` turns the SDK's own retries off, for a caller that paces every attempt itself. */
export function createSecretsManagerClient(options: { maxAttempts?: number } = {}): SecretsManagerClient {
  return new SecretsManagerClient(
    options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {},
  );
}

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export const DEFAULT_AWS_RETRY = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 } as const;
