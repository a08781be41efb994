/**
 * Cold-start baseline for the API handlers (authorize, login, callback, device): a bundle that
 * only constructs the SDK clients they construct at module scope, the way they construct them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const secretsManager = new SecretsManagerClient({});

export const handler = async (): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: String(documentClient !== undefined && secretsManager !== undefined),
});
