import { LwaClient } from '../../../lambda/shared/lwa-client';
import { DEFAULT_CLIENT } from '../../emulators/lwa';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { AuthTestBed, expectNoSecretsLeaked, expectRejected, newSellerId } from './auth-test-bed';

// The real /callback handler, invoked with a Lambda context that has only 9 s left: less than the
// 8 s write reserve plus the 2 s an LWA call needs at least.

let logs: LogCapture;
let bed: AuthTestBed;

beforeAll(async () => {
  logs = captureLogs();
  bed = await AuthTestBed.start({ remainingTimeMs: 9_000 });
});

afterAll(async () => {
  logs.restore();
  await bed?.stop();
});

it('does not exchange the code when too little of the invocation is left to store the tokens', async () => {
  // Prepare
  const sellerId = newSellerId();
  const { code, query } = await bed.consentedCallback(sellerId);
  const before = await bed.snapshot();
  const lwaCallsBefore = bed.emulator.callCount();

  // Act
  const response = await bed.callback(query);

  // Assess: the seller is asked to start again, nothing was written, and LWA never saw the code
  expectRejected(response, 502, 'Nothing was stored');
  expect(await bed.snapshot()).toEqual(before);
  expect(bed.emulator.callCount()).toBe(lwaCallsBefore);
  expect(logs.lines.some((line) => line.includes('no_time_left'))).toBe(true);
  // The code is still unspent: LWA exchanges it.
  const tokens = await new LwaClient().exchangeAuthorizationCode(bed.emulator.url, {
    code,
    redirectUri: 'https://unused.example.com/callback',
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
  });
  expect(bed.emulator.isAccessTokenValid(tokens.accessToken)).toBe(true);
});

it('never logged or answered a code, token or client secret', () => {
  expectNoSecretsLeaked([bed], logs, 'Authorization code exchange failed');
});
