import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TokenClient } from '../../../lambda/client';
import { ensurePythonClientVenv, PYTHON_CLIENT_DIR, runProcess } from '../../support/python-client';
import { type RefreshHarness, sellerIds, startRefreshHarness } from '../../support/refresh-harness';

const SCOPE = 'sellingpartnerapi::notifications';

describe('the Python token client reads what the TypeScript refresher wrote (moto + LWA emulator)', () => {
  let harness: RefreshHarness;
  let scratch: string;

  beforeAll(async () => {
    harness = await startRefreshHarness({
      defaultEmulator: { expiresIn: 3600, rotation: 'every-refresh' },
      env: { GRANTLESS_SCOPES: JSON.stringify({ NA: [SCOPE] }) },
    });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-python-client-'));
  });

  afterAll(async () => {
    await harness.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('passes the client pytest suite against the refresher-written secrets', async () => {
    // Prepare: the real callback core stores three sellers, the real refresher rotates their
    // tokens and marks a fourth REAUTH_REQUIRED, and indexes a grantless scope.
    const { python } = await ensurePythonClientVenv();
    const [na, eu, fe, revoked] = sellerIds(4, 'PY') as [string, string, string, string];
    const sellers = [
      { sellerId: na, region: 'NA' as const },
      { sellerId: eu, region: 'EU' as const },
      { sellerId: fe, region: 'FE' as const },
    ];
    await harness.authorize([...sellers, { sellerId: revoked, region: 'NA' }]);
    harness.lwa.NA.revokeRefreshTokens(revoked);
    harness.clock.advance(3300_000);
    const summary = await harness.run();
    expect(summary.refreshed).toBe(4); // three sellers and the grantless scope
    expect(summary.reauthRequired).toBe(1);
    expect(summary.rotationsStored).toBe(3);

    const typescript = new TokenClient({
      secretPrefix: harness.config.tokenSecretPrefix,
      clock: harness.clock.now,
    });
    const expected = {
      now: harness.clock.now() / 1000,
      prefix: harness.config.tokenSecretPrefix,
      sellerTable: harness.deployment.sellerTableName,
      sellers: await Promise.all(
        sellers.map(async (seller) => {
          const token = await typescript.getAccessToken(seller);
          return { ...seller, accessToken: token.accessToken, expiresAtMs: token.expiresAt.getTime() };
        }),
      ),
      grantless: {
        scope: SCOPE,
        region: 'NA',
        accessToken: (await typescript.getGrantlessToken({ scope: SCOPE, region: 'NA' })).accessToken,
      },
      reauth: { sellerId: revoked, region: 'NA' },
    };
    const expectedFile = path.join(scratch, 'expected.json');
    fs.writeFileSync(expectedFile, JSON.stringify(expected));

    // Act: every pytest test of the client, its unit tests and the ones reading moto
    const result = await runProcess(
      python,
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests', 'tests_integration'],
      {
        cwd: PYTHON_CLIENT_DIR,
        env: {
          ...process.env,
          LWA_PY_EXPECTED: expectedFile,
          AWS_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1',
          PYTHONDONTWRITEBYTECODE: '1',
        },
      },
    );

    // Assess
    if (result.code !== 0)
      throw new Error(`pytest failed (exit ${result.code}):\n${result.output.slice(-6000)}`);
    expect(result.output).toMatch(/\d+ passed/);
    expect(result.output).not.toMatch(/failed|error/i);
    for (const secret of harness.issuedSecrets()) expect(result.output).not.toContain(secret);
  });
});
