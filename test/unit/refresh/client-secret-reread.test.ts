import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { runRefresh } from '../../../lambda/refresh/refresher';
import {
  APP_SECRET_ID,
  CLIENT_ID,
  CLIENT_SECRET,
  createHarness,
  json,
  NOW_MS,
  rotatingAnswer,
  seller,
} from './refresh-harness';

const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);
const ROTATED_SECRET = 'amzn1.oa2-cs.v1.rotated-client-secret';

beforeEach(() => {
  dynamo.reset();
  secretsManager.reset();
});

describe('a warm run holding a client secret that has since been rotated and expired', () => {
  it('reads the app secret again on invalid_client and refreshes with the new secret instead of failing the run', async () => {
    // Prepare: the cached credentials hold only the old secret; the stored ones the rotated secret
    const harness = createHarness(dynamo, secretsManager, { sellers: [seller('A1SELLER0001')] });
    const appSecret = (clientSecret: string) => ({
      SecretString: JSON.stringify({
        clientId: CLIENT_ID,
        clientSecret,
        applicationId: 'amzn1.sp.solution.abc',
      }),
    });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: APP_SECRET_ID })
      .resolvesOnce(appSecret(CLIENT_SECRET))
      .resolves(appSecret(ROTATED_SECRET));
    harness.lwa.mockImplementation((form) =>
      form.get('client_secret') === ROTATED_SECRET
        ? rotatingAnswer(form)
        : json(401, { error: 'invalid_client' }),
    );

    // Act
    const summary = await runRefresh(harness.deps, { deadlineMs: NOW_MS + 50_000, owner: 'run-1' });

    // Assess
    expect(summary.appFault).toBeUndefined();
    expect(summary.refreshed).toBe(1);
    expect(harness.lwa.mock.calls.map(([form]) => form.get('client_secret'))).toEqual([
      CLIENT_SECRET,
      ROTATED_SECRET,
    ]);
    expect(secretsManager.commandCalls(GetSecretValueCommand, { SecretId: APP_SECRET_ID })).toHaveLength(2);
  });

  it('still reports an app fault when the fresh read holds no other secret', async () => {
    // Prepare
    const harness = createHarness(dynamo, secretsManager, { sellers: [seller('A1SELLER0001')] });
    harness.lwa.mockImplementation(() => json(401, { error: 'invalid_client' }));

    // Act
    const summary = await runRefresh(harness.deps, { deadlineMs: NOW_MS + 50_000, owner: 'run-1' });

    // Assess
    expect(summary.appFault).toBe('invalid_client');
    expect(harness.lwa).toHaveBeenCalledTimes(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand, { SecretId: APP_SECRET_ID })).toHaveLength(2);
  });
});
