/**
 * Seeds sellers that are due now, straight into moto: a refresh token from the LWA emulator (a
 * real authorization-code exchange, so the emulator accepts it later), the secret, and the table
 * item. Seeding is not what is measured, so it takes the fastest path rather than the callback.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LwaClient } from '../lambda/shared/lwa-client';
import { REGIONS, type Region } from '../lambda/shared/regions';
import { sellerSecretName } from '../lambda/shared/secret-names';
import { SellerStatus, TokenKind } from '../lambda/shared/seller-table';
import { serializeTokenSecret } from '../lambda/shared/token-secret';
import { DEFAULT_CLIENT, type LwaEmulator } from '../test/emulators/lwa';
import type { EmulatedDeployment } from '../test/support/emulated-deployment';
import { sellerIds } from '../test/support/refresh-harness';

export interface SeedInput {
  readonly deployment: EmulatedDeployment;
  readonly lwa: LwaEmulator;
  readonly count: number;
  /** Distinguishes the seller ids of separate seedings. */
  readonly tag: string;
  readonly progress: (line: string) => void;
}

export interface SeededSeller {
  readonly sellerId: string;
  readonly region: Region;
}

export async function seedDueSellers(input: SeedInput): Promise<SeededSeller[]> {
  const { deployment, lwa, count } = input;
  const client = new LwaClient();
  const nowSeconds = Math.floor(Date.now() / 1000);
  const sellers = sellerIds(count, input.tag).map((sellerId, i) => ({
    sellerId,
    region: REGIONS[i % REGIONS.length] as Region,
  }));
  let done = 0;
  const report = ticker(input.progress, () => `  seeded ${done}/${count} sellers`);

  await inPool(sellers, 16, async (seller) => {
    const code = lwa.issueAuthorizationCode({ sellerId: seller.sellerId });
    const token = await client.exchangeAuthorizationCode(lwa.url, {
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      code,
      redirectUri: 'https://bench.example/callback',
    });
    await deployment.secretsManager.send(
      new CreateSecretCommand({
        Name: sellerSecretName(deployment.tokenSecretPrefix, seller.region, seller.sellerId),
        KmsKeyId: deployment.kmsKeyArn,
        // Expires in 5 minutes: inside lead + spread, so the refresher refreshes instead of skipping it.
        SecretString: serializeTokenSecret({
          sellerId: seller.sellerId,
          region: seller.region,
          accessToken: token.accessToken,
          accessTokenExpiresAt: new Date((nowSeconds + 300) * 1000).toISOString(),
          refreshToken: token.refreshToken,
          tokenType: token.tokenType,
          updatedAt: new Date((nowSeconds - 3300) * 1000).toISOString(),
        }),
      }),
    );
    done++;
    report();
  });

  const batches: SeededSeller[][] = [];
  for (let i = 0; i < sellers.length; i += 25) batches.push(sellers.slice(i, i + 25));
  await inPool(batches, 4, async (batch) => {
    let requests = batch.map((seller, i) => ({
      PutRequest: {
        Item: {
          sellerId: seller.sellerId,
          region: seller.region,
          kind: TokenKind.Seller,
          status: SellerStatus.Active,
          secretName: sellerSecretName(deployment.tokenSecretPrefix, seller.region, seller.sellerId),
          accessTokenExpiresAt: nowSeconds + 300,
          // Due over the last minute, so the index has a realistic spread of sort keys.
          nextRefreshAt: nowSeconds - 60 + (i % 60),
          authorizedAt: nowSeconds - 3300,
          lastRefreshedAt: nowSeconds - 3300,
          updatedAt: nowSeconds - 3300,
          failureCount: 0,
        },
      },
    }));
    while (requests.length > 0) {
      const output = await deployment.documentClient.send(
        new BatchWriteCommand({ RequestItems: { [deployment.sellerTableName]: requests } }),
      );
      requests = (output.UnprocessedItems?.[deployment.sellerTableName] ?? []) as typeof requests;
    }
  });
  return sellers;
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Calls `progress` with `line()` at most every 5 s. */
export function ticker(progress: (line: string) => void, line: () => string): () => void {
  let last = performance.now();
  return () => {
    if (performance.now() - last < 5_000) return;
    last = performance.now();
    progress(line());
  };
}
