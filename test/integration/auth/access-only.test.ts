import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { TokenClient, TokenExpiredError } from '../../../lambda/client';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { AuthTestBed, expectNoSecretsLeaked, newSellerId } from './auth-test-bed';

// LWA returns no refresh token when the exchange is made without the client secret. Our callback
// always sends it, so the emulator never does that here; instead a proxy between the handler and
// the emulator drops `refresh_token` from LWA's answer, which is what the handler would see.

let logs: LogCapture;
let bed: AuthTestBed;
let proxy: Server;
let proxyUrl: string;
let dropRefreshToken = true;
let upstreamUrl = '';

beforeAll(async () => {
  logs = captureLogs();
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      fetch(`${upstreamUrl}${req.url ?? '/'}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
        body: Buffer.concat(chunks).toString('utf8'),
      })
        .then(async (upstream) => {
          const body = (await upstream.json()) as Record<string, unknown>;
          if (dropRefreshToken) delete body.refresh_token;
          const text = JSON.stringify(body);
          res.writeHead(upstream.status, { 'content-type': 'application/json' });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  bed = await AuthTestBed.start({ lwaUrl: () => proxyUrl });
  upstreamUrl = bed.emulator.url;
});

afterAll(async () => {
  logs.restore();
  await bed?.stop();
  const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
  proxy.closeAllConnections();
  await closed;
});

async function storedSecret(sellerId: string): Promise<Record<string, unknown>> {
  const output = await bed.deployment.secretsManager.send(
    new GetSecretValueCommand({ SecretId: bed.secretName('EU', sellerId) }),
  );
  return JSON.parse(output.SecretString ?? 'null') as Record<string, unknown>;
}

describe('an exchange that returns no refresh token', () => {
  it('stores the access token alone and indexes the seller as ACCESS_ONLY with nothing scheduled', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query } = await bed.consentedCallback(sellerId);

    // Act
    const response = await bed.callback(query);

    // Assess
    expect(response.statusCode).toBe(200);
    const secret = await storedSecret(sellerId);
    expect(secret).not.toHaveProperty('refreshToken');
    expect(bed.emulator.isAccessTokenValid(secret.accessToken as string)).toBe(true);
    const item = await bed.sellerItem(sellerId, 'EU');
    expect(item).toMatchObject({ status: 'ACCESS_ONLY', failureCount: 0 });
    expect(item).not.toHaveProperty('nextRefreshAt');
    expect(item?.accessTokenExpiresAt).toBe((item?.authorizedAt as number) + 3600);
    expect(logs.lines.some((line) => line.includes('ACCESS_ONLY') && line.includes(sellerId))).toBe(true);
  });

  it('lets the token client serve the access token until it expires, then raise a clear error', async () => {
    // Prepare: an ACCESS_ONLY seller, and a client whose clock we move past the token's expiry
    const sellerId = newSellerId();
    await bed.callback((await bed.consentedCallback(sellerId)).query);
    const secret = await storedSecret(sellerId);
    let now = Date.now();
    const client = new TokenClient({
      secretPrefix: bed.deployment.tokenSecretPrefix,
      clock: () => now,
      sellerTable: { client: new DynamoDBClient({}), tableName: bed.deployment.sellerTableName },
    });

    // Act / Assess: served while valid
    expect((await client.getAccessToken({ sellerId, region: 'EU' })).accessToken).toBe(secret.accessToken);

    // Act / Assess: past expiry, a clear error that says why it cannot be refreshed
    now = Date.parse(secret.accessTokenExpiresAt as string) + 1000;
    const read = client.getAccessToken({ sellerId, region: 'EU' });
    await expect(read).rejects.toBeInstanceOf(TokenExpiredError);
    await expect(read).rejects.toThrow(/no refresh token/i);
    await expect(read).rejects.not.toThrow(secret.accessToken as string);
  });

  it('returns an ACCESS_ONLY seller to ACTIVE, scheduled, when a later authorization brings a refresh token', async () => {
    // Prepare
    const sellerId = newSellerId();
    await bed.callback((await bed.consentedCallback(sellerId)).query);
    dropRefreshToken = false;

    // Act
    let response: Awaited<ReturnType<typeof bed.callback>>;
    try {
      response = await bed.callback((await bed.consentedCallback(sellerId)).query);
    } finally {
      dropRefreshToken = true;
    }

    // Assess
    expect(response.statusCode).toBe(200);
    const secret = await storedSecret(sellerId);
    expect(bed.emulator.isRefreshTokenValid(secret.refreshToken as string)).toBe(true);
    const item = await bed.sellerItem(sellerId, 'EU');
    expect(item).toMatchObject({ status: 'ACTIVE' });
    expect(item?.nextRefreshAt).toEqual(expect.any(Number));
  });
});

describe('a re-authorization whose exchange returns no refresh token', () => {
  it('keeps the stored secret with its working refresh token, stays ACTIVE and due now, and warns with the cause', async () => {
    // Prepare: a seller authorized normally, with a working refresh token
    const sellerId = newSellerId();
    dropRefreshToken = false;
    try {
      expect((await bed.callback((await bed.consentedCallback(sellerId)).query)).statusCode).toBe(200);
    } finally {
      dropRefreshToken = true;
    }
    const before = await storedSecret(sellerId);

    // Act: the same seller authorizes again through the misconfigured exchange
    const response = await bed.callback((await bed.consentedCallback(sellerId)).query);

    // Assess
    expect(response.statusCode).toBe(200);
    // The callback may not read token secrets, so it cannot merge this answer's access token with
    // the stored refresh token: it leaves the secret as it was and makes the seller due now, for
    // the refresher to mint a fresh access token from the kept refresh token.
    const after = await storedSecret(sellerId);
    expect(after).toEqual(before);
    expect(bed.emulator.isRefreshTokenValid(after.refreshToken as string)).toBe(true);
    const item = await bed.sellerItem(sellerId, 'EU');
    expect(item).toMatchObject({ status: 'ACTIVE' });
    expect(item?.nextRefreshAt).toBe(item?.updatedAt);
    const warning = logs.lines.find(
      (line) => line.includes(sellerId) && line.includes('no_refresh_token_in_exchange'),
    );
    expect(warning).toBeDefined();
    expect(JSON.parse(warning as string)).toMatchObject({ level: 'WARN', sellerId, region: 'EU' });
  });
});

describe('secrets stay out of logs and responses', () => {
  it('never logged or answered a code, a token or a client secret', () => {
    expectNoSecretsLeaked([bed], logs, 'stored the access token only');
  });
});
