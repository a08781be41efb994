/**
 * Cold-start baseline for the callback handler: a bundle that only constructs the SDK clients it
 * constructs at module scope (EventBridge too, because the stack sets EVENT_BUS_NAME).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const secretsManager = new SecretsManagerClient({});
const eventBridge = new EventBridgeClient({});

export const handler = async (): Promise<{ ok: boolean }> => ({
  ok: documentClient !== undefined && secretsManager !== undefined && eventBridge !== undefined,
});
