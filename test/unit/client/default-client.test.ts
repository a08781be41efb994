import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { defaultTokenClient, getAccessToken, getGrantlessToken } from '../../../lambda/client';
import { lwaAccessToken } from '../../../lambda/client/middleware';

// One process-wide client, created on first use: this file's module registry is fresh, so the
// prefix set below is what it reads.

const SELLER = 'A2EUQ1WTGCTBG2';
const secretsManager = mockClient(SecretsManagerClient);

function secret(fields: Record<string, string>) {
  return {
    SecretString: JSON.stringify({
      region: 'FE',
      accessToken: 'Atza|default',
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      tokenType: 'bearer',
      ...fields,
    }),
  };
}

afterAll(() => {
  delete process.env.TOKEN_SECRET_PREFIX;
});

it('reads TOKEN_SECRET_PREFIX once, and shares one cache with the middleware', async () => {
  // Prepare
  process.env.TOKEN_SECRET_PREFIX = 'team-a/lwa';
  secretsManager
    .on(GetSecretValueCommand, { SecretId: `team-a/lwa/sellers/FE/${SELLER}` })
    .resolves(secret({ sellerId: SELLER, refreshToken: 'Atzr|r' }))
    .on(GetSecretValueCommand, { SecretId: 'team-a/lwa/grantless/FE/sellingpartnerapi-notifications' })
    .resolves(secret({ scope: 'sellingpartnerapi::notifications' }));
  const middleware = lwaAccessToken({ resolve: () => ({ sellerId: SELLER, region: 'FE' }) });
  const context = {} as Record<string, unknown>;

  // Act
  const seller = await getAccessToken({ sellerId: SELLER, region: 'FE' });
  const grantless = await getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'FE' });
  process.env.TOKEN_SECRET_PREFIX = 'ignored-after-first-use';
  await middleware.before?.({ event: {}, context, response: null, error: null, internal: {} } as never);

  // Assess
  expect(seller.accessToken).toBe('Atza|default');
  expect(grantless.accessToken).toBe('Atza|default');
  expect(context.lwaAccessToken).toBe(seller);
  expect(defaultTokenClient()).toBe(defaultTokenClient());
  expect(defaultTokenClient().secretPrefix).toBe('team-a/lwa');
  expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
});
