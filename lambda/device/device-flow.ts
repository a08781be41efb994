import type { Sleep } from '../shared/backoff';
import type { Clock } from '../shared/clock';
import {
  type CodePairResponse,
  type LwaClient,
  LwaError,
  type LwaRequestOptions,
  type LwaTokenResponse,
} from '../shared/lwa-client';

/** LWA asks a client that polls too fast to wait this much longer per `slow_down`. */
export const SLOW_DOWN_SECONDS = 5;

/** The device flow ended without tokens. The message says what happened and what to do. */
export class DeviceAuthorizationError extends Error {
  constructor(readonly code: string) {
    super(DeviceAuthorizationError.describe(code));
    this.name = 'DeviceAuthorizationError';
  }

  private static describe(code: string): string {
    if (code === 'expired_token') {
      return 'The code expired before it was approved. Start the device login again and enter the new code within its time limit.';
    }
    if (code === 'access_denied') return 'The user denied the authorization, so nothing was stored.';
    return `Login with Amazon ended the device authorization with "${code}". Nothing was stored; start again.`;
  }
}

/** Step 1: ask LWA for a user code and a device code for `scope`. */
export function requestCodePair(
  lwa: LwaClient,
  endpoint: string,
  input: { clientId: string; scope: string },
  request?: LwaRequestOptions,
): Promise<CodePairResponse> {
  return lwa.createCodePair(endpoint, input, request);
}

export type PollResult =
  | { readonly status: 'authorized'; readonly tokens: LwaTokenResponse }
  | { readonly status: 'pending'; readonly interval: number }
  | { readonly status: 'denied' }
  | { readonly status: 'expired' };

/**
 * One poll of the token endpoint. `authorization_pending` keeps the interval, `slow_down` adds
 * five seconds to it; `access_denied` and `expired_token` end the flow. Any other failure is
 * thrown as a DeviceAuthorizationError carrying LWA's error code.
 */
export async function pollOnce(
  lwa: LwaClient,
  endpoint: string,
  input: { clientId: string; deviceCode: string; userCode: string; interval: number },
  request?: LwaRequestOptions,
): Promise<PollResult> {
  try {
    const tokens = await lwa.deviceToken(endpoint, input, request);
    return { status: 'authorized', tokens };
  } catch (error) {
    if (!(error instanceof LwaError)) throw error;
    switch (error.code) {
      case 'authorization_pending':
        return { status: 'pending', interval: input.interval };
      case 'slow_down':
        return { status: 'pending', interval: input.interval + SLOW_DOWN_SECONDS };
      case 'access_denied':
        return { status: 'denied' };
      case 'expired_token':
        return { status: 'expired' };
      default:
        throw new DeviceAuthorizationError(error.code);
    }
  }
}

export interface PollUntilDoneInput {
  readonly lwa: LwaClient;
  readonly endpoint: string;
  readonly clientId: string;
  readonly codePair: CodePairResponse;
  readonly clock: Clock;
  readonly sleep: Sleep;
  /** Called before each wait, so a caller can show that it is still waiting. */
  readonly onWait?: (wait: { interval: number; attempt: number }) => void;
}

/**
 * Step 2: poll no more often than `interval` until the user approves, denies, or the code
 * expires. Resolves with the tokens; rejects with a DeviceAuthorizationError otherwise.
 */
export async function pollUntilDone(input: PollUntilDoneInput): Promise<LwaTokenResponse> {
  const expiresAt = input.clock() + input.codePair.expiresIn * 1000;
  let interval = input.codePair.interval;
  for (let attempt = 1; ; attempt++) {
    input.onWait?.({ interval, attempt });
    await input.sleep(interval * 1000);
    if (input.clock() >= expiresAt) throw new DeviceAuthorizationError('expired_token');
    const result = await pollOnce(input.lwa, input.endpoint, {
      clientId: input.clientId,
      deviceCode: input.codePair.deviceCode,
      userCode: input.codePair.userCode,
      interval,
    });
    if (result.status === 'authorized') return result.tokens;
    if (result.status === 'denied') throw new DeviceAuthorizationError('access_denied');
    if (result.status === 'expired') throw new DeviceAuthorizationError('expired_token');
    interval = result.interval;
  }
}
