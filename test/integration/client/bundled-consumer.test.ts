import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const CLIENT_ENTRY = path.join(REPO_ROOT, 'lambda/client/index.ts');

/**
 * A consumer Lambda's handler as a user would write it, with the sellers-table check on. It prints
 * what it got as JSON: a hash of the token (never the token) and the named errors.
 */
const CONSUMER_SOURCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { TokenClient } from ${JSON.stringify(CLIENT_ENTRY)};

const client = new TokenClient({
  sellerTable: { client: new DynamoDBClient({}), tableName: process.env.SELLER_TABLE_NAME },
});

async function outcome(sellerId) {
  try {
    const token = await client.getAccessToken({ sellerId, region: 'NA' });
    return { tokenSha256: createHash('sha256').update(token.accessToken).digest('hex') };
  } catch (error) {
    return { error: error.name, reason: error.reason, message: error.message };
  }
}

// No top-level await: the CommonJS output format cannot have one.
async function main() {
  const [authorized, unknown] = process.argv.slice(2);
  console.log(JSON.stringify({ authorized: await outcome(authorized), unknown: await outcome(unknown) }));
}
main();
`;

/** The settings NodejsFunction uses, with the AWS SDK external as on the Node.js Lambda runtimes. */
async function bundleConsumer(dir: string, format: 'cjs' | 'esm'): Promise<string> {
  const entry = path.join(dir, 'consumer.ts');
  await writeFile(entry, CONSUMER_SOURCE);
  const outfile = path.join(dir, format === 'esm' ? 'consumer.mjs' : 'consumer.cjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    mainFields: format === 'esm' ? ['module', 'main'] : ['main', 'module'],
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return outfile;
}

describe('the token client bundled into a consumer (moto + LWA emulator)', () => {
  let harness: RefreshHarness;
  let bundleDir: string;

  beforeAll(async () => {
    harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600 } });
    // Inside the repo, so the external @aws-sdk packages resolve from its node_modules: ES modules
    // ignore NODE_PATH.
    const cache = path.join(REPO_ROOT, 'node_modules/.cache');
    await mkdir(cache, { recursive: true });
    bundleDir = await mkdtemp(path.join(cache, 'bundled-consumer-'));
  });

  afterAll(async () => {
    await harness?.stop();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  it.each(['cjs', 'esm'] as const)(
    'as %s, reads an authorized seller and checks the sellers table',
    async (format) => {
      // Prepare
      const [sellerId, unknownSellerId] = sellerIds(2, format.toUpperCase()) as [string, string];
      await harness.authorize([{ sellerId, region: 'NA' }]);
      const stored = await harness.readSecret(sellerId, 'NA');
      const consumer = await bundleConsumer(bundleDir, format);

      // Act
      const { stdout } = await promisify(execFile)(process.execPath, [consumer, sellerId, unknownSellerId], {
        env: {
          ...process.env,
          TOKEN_SECRET_PREFIX: harness.config.tokenSecretPrefix,
          SELLER_TABLE_NAME: harness.deployment.sellerTableName,
        },
        timeout: 30_000,
      });

      // Assess
      const result = JSON.parse(stdout) as {
        authorized: { tokenSha256?: string; error?: string; message?: string };
        unknown: { error?: string; reason?: string; message?: string };
      };
      expect(result.authorized).toEqual({
        tokenSha256: createHash('sha256').update(stored.accessToken).digest('hex'),
      });
      expect(result.unknown).toMatchObject({ error: 'SellerNotAuthorizedError', reason: 'NOT_AUTHORIZED' });
    },
  );
});
