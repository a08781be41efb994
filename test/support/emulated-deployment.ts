import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CLIENT } from '../emulators/lwa';
import { uniqueName } from './aws-test-env';

export const EMULATOR_APPLICATION_ID = 'amzn1.sp.solution.emulator-app';

export interface EmulatedDeployment {
  readonly sellerTableName: string;
  readonly stateTableName: string;
  readonly appSecretId: string;
  readonly tokenSecretPrefix: string;
  readonly kmsKeyArn: string;
  /** The environment the CDK constructs would give the handlers, pointed at the LWA emulator. */
  readonly env: Record<string, string>;
  readonly documentClient: DynamoDBDocumentClient;
  readonly secretsManager: SecretsManagerClient;
}

export interface EmulatedDeploymentOptions {
  /** Base URL of the LWA emulator; used for every region. */
  readonly lwaUrl: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly draft?: boolean;
  /** Names are unique per call so test files can share one moto server. */
  readonly namePrefix?: string;
  readonly extraAppSecretFields?: Record<string, unknown>;
}

/**
 * Creates in moto what `cdk deploy` creates in AWS: the key, the sellers table with its
 * `byRegion` index, the state table and the app credentials secret. The SDK clients reach moto
 * through AWS_ENDPOINT_URL, exactly as the handlers do.
 */
export async function deployToEmulators(options: EmulatedDeploymentOptions): Promise<EmulatedDeployment> {
  const prefix = options.namePrefix ?? 'lwa';
  const dynamodb = new DynamoDBClient({});
  const secretsManager = new SecretsManagerClient({});
  const kms = new KMSClient({});

  const key = await kms.send(new CreateKeyCommand({ Description: 'token secrets (emulated)' }));
  const kmsKeyArn = key.KeyMetadata?.Arn;
  if (!kmsKeyArn) throw new Error('moto returned no key ARN');

  const sellerTableName = uniqueName(`${prefix}-sellers`);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: sellerTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'sellerId', AttributeType: 'S' },
        { AttributeName: 'region', AttributeType: 'S' },
        { AttributeName: 'nextRefreshAt', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'sellerId', KeyType: 'HASH' },
        { AttributeName: 'region', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRegion',
          KeySchema: [
            { AttributeName: 'region', KeyType: 'HASH' },
            { AttributeName: 'nextRefreshAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  const stateTableName = uniqueName(`${prefix}-states`);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: stateTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );

  // The deployment is configured with the application id the app secret holds, as an operator does.
  const extraApplicationId = options.extraAppSecretFields?.applicationId;
  const applicationId = typeof extraApplicationId === 'string' ? extraApplicationId : EMULATOR_APPLICATION_ID;
  const appSecretId = uniqueName(`${prefix}-app-credentials`);
  await secretsManager.send(
    new CreateSecretCommand({
      Name: appSecretId,
      KmsKeyId: kmsKeyArn,
      SecretString: JSON.stringify({
        clientId: options.clientId ?? DEFAULT_CLIENT.clientId,
        clientSecret: options.clientSecret ?? DEFAULT_CLIENT.clientSecret,
        applicationId: EMULATOR_APPLICATION_ID,
        draft: options.draft ?? false,
        ...options.extraAppSecretFields,
      }),
    }),
  );

  const tokenSecretPrefix = uniqueName(`${prefix}-tokens`);
  const lwaEndpoints = JSON.stringify({ NA: options.lwaUrl, EU: options.lwaUrl, FE: options.lwaUrl });
  return {
    sellerTableName,
    stateTableName,
    appSecretId,
    tokenSecretPrefix,
    kmsKeyArn,
    env: {
      SELLER_TABLE_NAME: sellerTableName,
      STATE_TABLE_NAME: stateTableName,
      APP_SECRET_ID: appSecretId,
      // What the construct deploys for /authorize and /login (they read no secret).
      APPLICATION_ID: applicationId,
      APPLICATION_DRAFT: String(options.draft ?? false),
      TOKEN_SECRET_PREFIX: tokenSecretPrefix,
      LWA_ENDPOINTS: lwaEndpoints,
      TOKEN_KMS_KEY_ID: kmsKeyArn,
      POWERTOOLS_SERVICE_NAME: 'lwa-token-service-test',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    documentClient: DynamoDBDocumentClient.from(dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    secretsManager,
  };
}
