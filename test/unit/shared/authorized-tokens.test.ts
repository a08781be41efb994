import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { storeDeviceAccount } from '../../../lambda/device/device-accounts';
import { SellerRepository } from '../../../lambda/shared/seller-repository';
import { TokenStore } from '../../../lambda/shared/token-store';

const NOW_MS = Date.UTC(2026, 10, 28, 6, 0, 0);
const NOW_S = NOW_MS / 1000;

const smMock = mockClient(SecretsManagerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  smMock.reset();
  ddbMock.reset();
});

describe('a device account approved again (invariant 9)', () => {
  it('fences the item and clears any refresh lease before its secret, then writes the item under that fence', async () => {
    // Prepare
    const calls: string[] = [];
    ddbMock.on(UpdateCommand).callsFake((input) => {
      calls.push(input.ConditionExpression ? 'UpdateItem(fenced)' : 'UpdateItem(begin)');
      return {};
    });
    smMock.on(PutSecretValueCommand).callsFake(() => {
      calls.push('PutSecretValue');
      return {};
    });
    const retry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 };

    // Act
    await storeDeviceAccount(
      {
        tokens: new TokenStore(new SecretsManagerClient({ region: 'us-east-1' }), retry),
        sellers: new SellerRepository(
          DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
          'sellers',
        ),
        random: () => 0.5,
        retry,
        config: { kmsKeyId: 'key', leadSeconds: 600, spreadSeconds: 300, tokenSecretPrefix: 'lwa-tokens' },
      },
      {
        accountId: 'living-room-tv',
        region: 'NA',
        scope: 'profile',
        tokens: {
          accessToken: 'Atza|device',
          refreshToken: 'Atzr|device',
          tokenType: 'bearer',
          expiresIn: 3600,
        },
        issuedAtMs: NOW_MS,
      },
    );

    // Assess
    expect(calls).toEqual(['UpdateItem(begin)', 'PutSecretValue', 'UpdateItem(fenced)']);
    const [begin, final] = ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(begin).toMatchObject({
      Key: { sellerId: 'device#living-room-tv', region: 'NA' },
      UpdateExpression: expect.stringMatching(/ REMOVE leaseOwner, leaseExpiresAt$/),
      ExpressionAttributeValues: expect.objectContaining({
        ':kind': 'device',
        ':pending': 'PENDING',
        ':pickUpAt': NOW_S + 300,
      }),
    });
    const fence = begin?.ExpressionAttributeValues?.[':authorizationId'];
    expect(smMock).toReceiveCommandWith(PutSecretValueCommand, {
      SecretId: 'lwa-tokens/devices/NA/living-room-tv',
      ClientRequestToken: fence,
    });
    expect(final).toMatchObject({
      ConditionExpression: 'authorizationId = :authorizationId',
      ExpressionAttributeValues: expect.objectContaining({ ':authorizationId': fence, ':status': 'ACTIVE' }),
    });
  });
});
