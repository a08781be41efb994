import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { FREE_PORTS, type LocalRunProcess, startLocalRunProcess } from './support/local-run-process';

jest.setTimeout(180_000);

interface ClientSecretStatus {
  expiresAt?: string;
  previousExpiresAt?: string;
  canRotate: boolean;
}

const DAY = 86_400_000;

describe('npm start: the client-secret rotation, end to end on loopback', () => {
  let run: LocalRunProcess;
  let browser: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    run = await startLocalRunProcess(FREE_PORTS);
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-run-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    await run?.stop();
  });

  const status = async (): Promise<ClientSecretStatus> =>
    ((await (await fetch(`${run.url}/status.json`)).json()) as { clientSecret: ClientSecretStatus })
      .clientSecret;

  it('the status page button sends the expiry notice; the secret rotates through the queue and the page shows both expiries', async () => {
    // Prepare
    const before = await status();
    expect(before.canRotate).toBe(true);
    expect(Date.parse(before.expiresAt as string)).toBeGreaterThan(Date.now() + 39 * DAY);
    expect(before.previousExpiresAt).toBeUndefined();
    // Another site can't press the button: without the header (which needs a CORS preflight) it is refused.
    const forged = await fetch(`${run.url}/local/client-secret-expiry-notice`, { method: 'POST' });
    expect(forged.status).toBe(403);
    const page = await browser.newPage();
    await page.goto(run.url);
    await page.locator('#client-secret-status').filter({ hasText: 'The current secret expires' }).waitFor();

    // Act
    await page.locator('#send-expiry-notice').click();

    // Assess: the page shows the new expiry and the previous secret's (bounded waits on what it shows)
    await page
      .locator('#client-secret-status')
      .filter({ hasText: 'The previous secret works until' })
      .waitFor({ timeout: 60_000 });
    const after = await status();
    expect(Date.parse(after.expiresAt as string)).toBeGreaterThan(Date.now() + 179 * DAY);
    expect(Date.parse(after.previousExpiresAt as string)).toBeGreaterThan(Date.now() + 6 * DAY);
    await page.locator('#events li.client-secret').filter({ hasText: 'new client secret stored' }).waitFor();
    const output = run.lines.join('\n');
    expect(output).toMatch(/client secret\s+APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY sent/);
    expect(output).toMatch(/client secret\s+expiry notice handled: SP-API answered 204/);
    expect(output).toMatch(/client secret\s+new client secret stored/);
    expect(output).not.toContain('emulator-client-secret');
    expect(output).not.toContain('amzn1.oa2-cs.v1.');
    expect(output).not.toMatch(/failure/);
  });
});
