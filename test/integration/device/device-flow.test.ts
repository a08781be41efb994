import { DeviceAuthorizationError, pollUntilDone, requestCodePair } from '../../../lambda/device/device-flow';
import { LwaClient } from '../../../lambda/shared/lwa-client';
import { DEFAULT_CLIENT, type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { SimulatedClock } from '../../support/refresh-harness';

describe('device authorization flow against the LWA emulator', () => {
  let clock: SimulatedClock;
  let emulator: LwaEmulator;
  const lwa = new LwaClient();

  beforeEach(async () => {
    clock = new SimulatedClock(Date.parse('2026-11-24T20:00:00Z'));
    emulator = await startLwaEmulator({ now: clock.now });
  });

  afterEach(async () => {
    await emulator.stop();
  });

  /** Sleeps move the simulated clock; `onSleep` runs after each, like the user acting meanwhile. */
  function sleeper(onSleep: (slept: number[]) => void = () => undefined) {
    const slept: number[] = [];
    return {
      slept,
      sleep: async (ms: number) => {
        slept.push(ms);
        clock.advance(ms);
        onSleep(slept);
      },
    };
  }

  it('waits through authorization_pending and slow_down (interval + 5 s) until approved', async () => {
    // Prepare: LWA asks to slow down on the second poll; the user approves after the fourth wait
    const codePair = await requestCodePair(lwa, emulator.url, {
      clientId: DEFAULT_CLIENT.clientId,
      scope: 'profile',
    });
    expect(codePair).toMatchObject({ interval: 5, expiresIn: 600 });
    let polls = 0;
    const { slept, sleep } = sleeper((s) => {
      if (s.length === 2)
        emulator.injectFault({ kind: 'status', status: 400, error: 'slow_down', grantType: 'device_code' });
      if (s.length === 4) emulator.approveDevice(codePair.userCode);
    });
    const waits: number[] = [];

    // Act
    const tokens = await pollUntilDone({
      lwa,
      endpoint: emulator.url,
      clientId: DEFAULT_CLIENT.clientId,
      codePair,
      clock: clock.now,
      sleep,
      onWait: ({ interval }) => {
        polls++;
        waits.push(interval);
      },
    });

    // Assess: 5 s, 5 s (slow_down), then 10 s from there on; four polls in all
    expect(slept).toEqual([5000, 5000, 10000, 10000]);
    expect(waits).toEqual([5, 5, 10, 10]);
    expect(polls).toBe(4);
    expect(emulator.callCount('device_code')).toBe(4);
    expect(emulator.isAccessTokenValid(tokens.accessToken)).toBe(true);
    expect(tokens.refreshToken).toBe(emulator.currentRefreshToken(codePair.userCode));
  });

  it('ends with a clear message when the user denies', async () => {
    const codePair = await requestCodePair(lwa, emulator.url, {
      clientId: DEFAULT_CLIENT.clientId,
      scope: 'profile',
    });
    const { sleep } = sleeper((s) => {
      if (s.length === 2) emulator.denyDevice(codePair.userCode);
    });

    const result = pollUntilDone({
      lwa,
      endpoint: emulator.url,
      clientId: DEFAULT_CLIENT.clientId,
      codePair,
      clock: clock.now,
      sleep,
    });

    await expect(result).rejects.toBeInstanceOf(DeviceAuthorizationError);
    await expect(result).rejects.toThrow('The user denied the authorization, so nothing was stored.');
    expect(emulator.callCount('device_code')).toBe(2);
  });

  it('ends with a clear message when the code expires unapproved', async () => {
    const codePair = await requestCodePair(lwa, emulator.url, {
      clientId: DEFAULT_CLIENT.clientId,
      scope: 'profile',
    });
    const { slept, sleep } = sleeper();

    const result = pollUntilDone({
      lwa,
      endpoint: emulator.url,
      clientId: DEFAULT_CLIENT.clientId,
      codePair,
      clock: clock.now,
      sleep,
    });

    await expect(result).rejects.toThrow(/code expired before it was approved/);
    // 600 s at one poll per 5 s: the 120th wait reaches the expiry, so 119 polls were made.
    expect(slept).toHaveLength(120);
    expect(emulator.callCount('device_code')).toBe(119);
  });

  it('ends with the error code for any other LWA error', async () => {
    const codePair = await requestCodePair(lwa, emulator.url, {
      clientId: DEFAULT_CLIENT.clientId,
      scope: 'profile',
    });
    emulator.injectFault({ kind: 'oauth-error', error: 'invalid_client', grantType: 'device_code' });
    const { sleep } = sleeper();

    const result = pollUntilDone({
      lwa,
      endpoint: emulator.url,
      clientId: DEFAULT_CLIENT.clientId,
      codePair,
      clock: clock.now,
      sleep,
    });

    await expect(result).rejects.toMatchObject({ name: 'DeviceAuthorizationError', code: 'invalid_client' });
  });
});
