import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { FREE_PORTS, type LocalRunProcess, startLocalRunProcess } from './support/local-run-process';

/**
 * `npm start` as a person uses it: a browser opens /authorize, answers the consent page, and
 * watches the status page. Short token lifetimes and a fast schedule make a refresh happen within
 * seconds; every wait is a bounded poll on what the page shows, never a fixed sleep.
 */
const EXPIRES_IN_SECONDS = 20;
const SHORT_RUN = [...FREE_PORTS, '--expires-in', String(EXPIRES_IN_SECONDS), '--refresh-every', '1'];

jest.setTimeout(120_000);

let run: LocalRunProcess;
let browser: BrowserContext;
let userDataDir: string;

beforeEach(async () => {
  run = await startLocalRunProcess(SHORT_RUN);
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-run-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 720 },
  });
});

afterEach(async () => {
  await browser?.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  await run?.stop();
});

function awsClients(endpoint: string) {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  return { dynamodb: new DynamoDBClient(config), secrets: new SecretsManagerClient(config) };
}

async function tokenSecretNames(secrets: SecretsManagerClient): Promise<string[]> {
  const page = await secrets.send(new ListSecretsCommand({ MaxResults: 100 }));
  return (page.SecretList ?? [])
    .map((secret) => secret.Name ?? '')
    .filter((name) => name.includes('/sellers/'));
}

/** Re-reads until `done` holds; fails after `timeoutMs` naming what it waited for. */
async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms (last: ${String(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function sellerRow(page: Page, sellerId: string) {
  return page.locator(`#sellers tr[data-seller="${sellerId}"]`);
}

describe('npm start in a browser', () => {
  it('authorizes a seller on the consent page, lists it ACTIVE, and shows a refreshed expiry', async () => {
    // Prepare
    const page = await browser.newPage();

    // Act: the consent page the real /authorize handler redirects to
    await page.goto(`${run.url}/authorize?region=EU`);
    const consentHeading = await page.locator('h1').textContent();
    const applicationId = await page.locator('#application-id').textContent();
    await page.getByLabel('A2LOCALSELLER02').check();
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL(/\/callback\?/);
    const connected = await page.locator('h1').textContent();
    const connectedText = await page.locator('p').textContent();

    // Act: the status page lists the seller, then shows the expiry a refresh tick moved
    await page.goto(`${run.url}/`);
    const row = sellerRow(page, 'A2LOCALSELLER02');
    await row.waitFor({ timeout: 15_000 });
    const statusAfterCallback = await row.getAttribute('data-status');
    const region = await row.getAttribute('data-region');
    const firstExpiry = Number(await row.getAttribute('data-expires-at'));
    const laterExpiry = await pollUntil(
      async () =>
        (await row.getAttribute('data-status')) === 'ACTIVE'
          ? Number(await row.getAttribute('data-expires-at'))
          : 0,
      (expiry) => expiry > firstExpiry,
      EXPIRES_IN_SECONDS * 3 * 1000,
      'a refreshed expiry on the status page',
    );
    await page.locator('#events li.refreshed').first().waitFor({ timeout: 5_000 });
    const statusPage = await page.content();
    const statusJson = await (await fetch(`${run.url}/status.json`)).text();

    // Assess
    expect(consentHeading).toBe('Authorize application');
    expect(applicationId).toBe('amzn1.sp.solution.emulator-app');
    expect(connected).toBe('Your Amazon seller account is connected');
    expect(connectedText).toContain('A2LOCALSELLER02 (EU)');
    expect(statusAfterCallback).toBe('ACTIVE');
    expect(region).toBe('EU');
    expect(firstExpiry).toBeGreaterThan(Date.now() / 1000 - 2 * EXPIRES_IN_SECONDS);
    expect(laterExpiry).toBeGreaterThan(firstExpiry);
    expect(run.lines.some((line) => /seller authorized\s+A2LOCALSELLER02 \(EU\)/.test(line))).toBe(true);
    await run.waitForLine(/token refreshed\s+A2LOCALSELLER02 \(EU\)/, 5_000);
    await run.waitForLine(/rotation stored\s+A2LOCALSELLER02 \(EU\)/, 5_000);

    // Assess: the tokens are in Secrets Manager, and nowhere the page, its JSON or the console shows
    const { secrets, dynamodb } = awsClients(run.motoEndpoint);
    const [secretName] = await tokenSecretNames(secrets);
    expect(secretName).toMatch(/\/sellers\/EU\/A2LOCALSELLER02$/);
    const stored = await secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
    const previous = await secrets.send(
      new GetSecretValueCommand({ SecretId: secretName, VersionStage: 'AWSPREVIOUS' }),
    );
    const tokens = [stored, previous].flatMap((version) => {
      const value = JSON.parse(version.SecretString ?? '{}') as { accessToken: string; refreshToken: string };
      return [value.accessToken, value.refreshToken];
    });
    expect(tokens.every((token) => typeof token === 'string' && token.length > 20)).toBe(true);
    const visible = [statusPage, statusJson, run.lines.join('\n')];
    expect(tokens.filter((token) => visible.some((text) => text.includes(token)))).toEqual([]);
    dynamodb.destroy();
    secrets.destroy();
  });

  it('denies on the consent page: a clear denial page, and nothing stored', async () => {
    // Prepare
    const page = await browser.newPage();

    // Act
    await page.goto(`${run.url}/authorize?region=EU`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/callback?')),
      page.getByRole('button', { name: 'Deny' }).click(),
    ]);
    const heading = await page.locator('h1').textContent();
    const message = await page.locator('p').textContent();
    await run.waitForLine(/seller declined\s+EU: access_denied, nothing stored/, 5_000);
    const status = (await (await fetch(`${run.url}/status.json`)).json()) as { sellers: unknown[] };

    // Assess
    expect(response.status()).toBe(403);
    expect(response.url()).toContain('error=access_denied');
    expect(heading).toBe('Authorization was not granted');
    expect(message).toContain('You declined to authorize this application, so nothing was stored.');
    expect(status.sellers).toEqual([]);
    const { dynamodb, secrets } = awsClients(run.motoEndpoint);
    const sellers = await dynamodb.send(new ScanCommand({ TableName: run.sellerTableName }));
    expect(sellers.Count).toBe(0);
    expect(await tokenSecretNames(secrets)).toEqual([]);
    dynamodb.destroy();
    secrets.destroy();
  });
});
