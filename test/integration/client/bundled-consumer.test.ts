import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { buildAndPackTokenClient, minifiedClientBytes, REPO_ROOT } from '../../../scripts/build-token-client';
import { type ConsumerProject, createConsumerProject, peerVersion } from '../../support/packed-token-client';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const run = promisify(execFile);

/** The budget for what the client adds to a Lambda bundle that already has the AWS SDK. */
const MAX_MINIFIED_BYTES = 12 * 1024;

/**
 * A consumer Lambda's code as a user would write it against the installed package, with the
 * sellers-table check on, and a middy handler using the middleware with the default client. It
 * prints what it got as JSON: a hash of the token (never the token) and the named errors.
 */
const CONSUMER_IMPORTS = {
  esm: `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { createHash } from 'node:crypto';
import { SellerNotAuthorizedError, TokenClient } from 'lwa-token-client';
import { lwaAccessToken } from 'lwa-token-client/middleware';
`,
  // middy ships only as an ES module; bundlers hand its default export to require() as .default.
  cjs: `
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const middy = require('@middy/core').default;
const { createHash } = require('node:crypto');
const { SellerNotAuthorizedError, TokenClient } = require('lwa-token-client');
const { lwaAccessToken } = require('lwa-token-client/middleware');
`,
};

const CONSUMER_BODY = `
const client = new TokenClient({
  sellerTable: { client: new DynamoDBClient({}), tableName: process.env.SELLER_TABLE_NAME },
});
const sha256 = (token) => createHash('sha256').update(token).digest('hex');

async function outcome(sellerId) {
  try {
    const token = await client.getAccessToken({ sellerId, region: 'NA' });
    return { tokenSha256: sha256(token.accessToken) };
  } catch (error) {
    return { error: error.name, reason: error.reason, message: error.message };
  }
}

const withToken = middy(async (_event, context) => ({ tokenSha256: sha256(context.lwaAccessToken.accessToken) }))
  .use(lwaAccessToken({ resolve: (event) => ({ sellerId: event.sellerId, region: 'NA' }) }));

async function middlewareOutcome(sellerId) {
  try {
    return await withToken({ sellerId }, { functionName: 'consumer', awsRequestId: sellerId });
  } catch (error) {
    // True only if the middleware entry shares the main entry's error classes.
    return { error: error.name, isSellerNotAuthorizedError: error instanceof SellerNotAuthorizedError };
  }
}

// No top-level await: the CommonJS output format cannot have one.
async function main() {
  const [authorized, unknown] = process.argv.slice(2);
  console.log(JSON.stringify({
    authorized: await outcome(authorized),
    unknown: await outcome(unknown),
    middleware: { authorized: await middlewareOutcome(authorized), unknown: await middlewareOutcome(unknown) },
  }));
}
main();
`;

/**
 * The same calls in TypeScript, type-checked against the package's declarations as ESM and as
 * CommonJS. The `@ts-expect-error` lines fail the check if the types were missing (all `any`).
 */
const TYPED_CONSUMER_SOURCE = `
import middy from '@middy/core';
import {
  type AccessToken,
  getAccessToken,
  getDeviceToken,
  getGrantlessToken,
  SellerNotAuthorizedError,
  TokenClient,
} from 'lwa-token-client';
import { type LwaAccessTokenContext, lwaAccessToken } from 'lwa-token-client/middleware';

export async function tokens(): Promise<string[]> {
  const seller: AccessToken = await getAccessToken({ sellerId: 'A2EUQ1WTGCTBG2', region: 'NA' });
  const grantless = await getGrantlessToken({ scope: 'sellingpartnerapi::notifications', region: 'EU' });
  const device = await new TokenClient({ marginSeconds: 120 }).getDeviceToken({ accountId: 'tv', region: 'FE' });
  await getDeviceToken({ accountId: 'tv', region: 'FE' });
  // @ts-expect-error 'XX' is not a Region
  await getAccessToken({ sellerId: 'A2EUQ1WTGCTBG2', region: 'XX' });
  // @ts-expect-error expiresAt is a Date
  const expiry: string = seller.expiresAt;
  return [seller.accessToken, grantless.accessToken, device.accessToken, expiry];
}

export const handler = middy(async (_event: { sellerId: string }, context: LwaAccessTokenContext) =>
  context.lwaAccessToken.expiresAt.toISOString(),
).use(lwaAccessToken<{ sellerId: string }>({ resolve: (event) => ({ sellerId: event.sellerId, region: 'NA' }) }));

export const isNotAuthorized = (error: unknown): boolean =>
  error instanceof SellerNotAuthorizedError && error.reason === 'REAUTH_REQUIRED';
`;

type ModuleSyntax = 'esm' | 'cjs';

/**
 * The settings NodejsFunction uses, with the AWS SDK external as on the Node.js Lambda runtimes.
 * Which build of the package a bundler picks follows the consumer's syntax (`import` or
 * `require`), not the output format, so each is returned for checking.
 */
async function bundleConsumer(
  dir: string,
  syntax: ModuleSyntax,
  format: ModuleSyntax,
): Promise<{ outfile: string; clientInputs: string[] }> {
  const name = `consumer-${syntax}-to-${format}`;
  const entry = path.join(dir, `${name}.${syntax === 'esm' ? 'mjs' : 'cjs'}`);
  fs.writeFileSync(entry, `${CONSUMER_IMPORTS[syntax]}${CONSUMER_BODY}`);
  const outfile = path.join(dir, 'out', `${name}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: dir,
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    mainFields: format === 'esm' ? ['module', 'main'] : ['main', 'module'],
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
  });
  const clientInputs = Object.keys(result.metafile.inputs)
    .filter((input) => input.startsWith('node_modules/lwa-token-client/'))
    .sort();
  return { outfile, clientInputs };
}

describe('the lwa-token-client package, installed from its tarball into a consumer project (moto + LWA emulator)', () => {
  let harness: RefreshHarness;
  let consumer: ConsumerProject;
  let tarballSha256: string;

  beforeAll(async () => {
    // The build, the pack and (on a cold npm cache) the registry download dominate.
    consumer = await createConsumerProject([peerVersion('@middy/core'), peerVersion('@types/aws-lambda')]);
    tarballSha256 = createHash('sha256').update(fs.readFileSync(consumer.tarball)).digest('hex');
    harness = await startRefreshHarness({ defaultEmulator: { expiresIn: 3600 } });
  }, 600_000);

  afterAll(async () => {
    await harness?.stop();
    await consumer?.remove();
  });

  it('is installed outside the repo with only the SDK peers: no aws-cdk-lib, constructs or Powertools', () => {
    // Assess
    expect(path.relative(REPO_ROOT, consumer.dir).startsWith('..')).toBe(true);
    const installed = JSON.parse(
      fs.readFileSync(path.join(consumer.dir, 'node_modules/lwa-token-client/package.json'), 'utf8'),
    ) as { name: string; dependencies?: unknown; peerDependencies: Record<string, string> };
    expect(installed.name).toBe('lwa-token-client');
    expect(installed.dependencies).toBeUndefined();
    expect(Object.keys(installed.peerDependencies)).toEqual(
      expect.arrayContaining(['@aws-sdk/client-secrets-manager', '@aws-sdk/client-dynamodb']),
    );
    for (const unwanted of ['aws-cdk-lib', 'constructs', '@aws-lambda-powertools']) {
      expect(fs.existsSync(path.join(consumer.dir, 'node_modules', unwanted))).toBe(false);
    }
  });

  it('packs a byte-identical tarball when built again from the same sources', async () => {
    // Act
    const again = await buildAndPackTokenClient();

    // Assess
    expect(createHash('sha256').update(fs.readFileSync(again)).digest('hex')).toBe(tarballSha256);
  });

  it(`adds at most ${MAX_MINIFIED_BYTES} bytes to a minified bundle without the AWS SDK (ESM build)`, async () => {
    // Act
    const bytes = await minifiedClientBytes(path.join(consumer.dir, 'node_modules/lwa-token-client'));

    // Assess
    expect(bytes).toBeLessThan(MAX_MINIFIED_BYTES);
  });

  it.each(['mts', 'cts'] as const)(
    'type-checks a consumer against the shipped declarations as .%s',
    async (extension) => {
      // Prepare
      const file = path.join(consumer.dir, `typed-consumer.${extension}`);
      fs.writeFileSync(file, TYPED_CONSUMER_SOURCE);
      const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

      // Act
      const checked = await run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--skipLibCheck',
          file,
        ],
        { cwd: consumer.dir },
      ).then(
        () => ({ code: 0, output: '' }),
        (error: { code?: number; stdout?: string }) => ({ code: error.code, output: error.stdout ?? '' }),
      );

      // Assess
      expect(checked).toEqual({ code: 0, output: '' });
    },
  );

  it.each([
    { syntax: 'esm', format: 'esm', build: 'esm' },
    // NodejsFunction's default: TypeScript with `import`, bundled as CommonJS.
    { syntax: 'esm', format: 'cjs', build: 'esm' },
    { syntax: 'cjs', format: 'cjs', build: 'cjs' },
  ] as const)(
    'a consumer written as $syntax and bundled as $format uses the $build build: reads an authorized seller, checks the sellers table, runs the middleware',
    async ({ syntax, format, build }) => {
      // Prepare
      const [sellerId, unknownSellerId] = sellerIds(2, `${syntax}${format}`.toUpperCase()) as [
        string,
        string,
      ];
      await harness.authorize([{ sellerId, region: 'NA' }]);
      const stored = await harness.readSecret(sellerId, 'NA');
      const { outfile, clientInputs } = await bundleConsumer(consumer.dir, syntax, format);

      // Act
      const { stdout } = await run(process.execPath, [outfile, sellerId, unknownSellerId], {
        cwd: consumer.dir,
        env: {
          ...process.env,
          TOKEN_SECRET_PREFIX: harness.config.tokenSecretPrefix,
          SELLER_TABLE_NAME: harness.deployment.sellerTableName,
        },
        timeout: 30_000,
      });

      // Assess
      expect(clientInputs).toEqual([
        `node_modules/lwa-token-client/dist/${build}/index.js`,
        `node_modules/lwa-token-client/dist/${build}/middleware.js`,
      ]);
      const tokenSha256 = createHash('sha256').update(stored.accessToken).digest('hex');
      expect(JSON.parse(stdout)).toEqual({
        authorized: { tokenSha256 },
        unknown: {
          error: 'SellerNotAuthorizedError',
          reason: 'NOT_AUTHORIZED',
          message: expect.stringContaining(`Seller ${unknownSellerId} has not authorized this application`),
        },
        middleware: {
          authorized: { tokenSha256 },
          unknown: { error: 'SellerNotAuthorizedError', isSellerNotAuthorizedError: true },
        },
      });
      expect(stdout).not.toContain(stored.accessToken);
    },
  );
});
