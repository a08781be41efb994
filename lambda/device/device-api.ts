import type { AppCredentialsProvider } from '../shared/app-credentials';
import { type Clock, toEpochSeconds } from '../shared/clock';
import type { LwaClient } from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import { lwaTimeoutWithin, type RemainingTime } from '../shared/time-budget';
import { type StoreDeviceAccountDeps, storeDeviceAccount } from './device-accounts';
import { pollOnce, requestCodePair } from './device-flow';
import type { DeviceAuthorizationStatus, PendingAuthorizations } from './pending-authorizations';

export interface DeviceApiDeps extends StoreDeviceAccountDeps {
  readonly pending: PendingAuthorizations;
  readonly appCredentials: AppCredentialsProvider;
  readonly lwa: LwaClient;
  readonly clock: Clock;
  readonly lwaEndpoints: Readonly<Record<Region, string>>;
}

/** What `POST /device/authorizations` returns: never the device code. */
export interface StartedDeviceAuthorization {
  readonly id: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly expires_in: number;
  readonly interval: number;
}

/**
 * Per-call LWA options that leave the writes after the call their reserve, when the caller knows
 * its remaining time; it throws TimeBudgetExhaustedError, before anything is sent, when too little is left.
 */
function lwaRequestWithin(remainingTimeMs: RemainingTime | undefined): { timeoutMs: number } | undefined {
  return remainingTimeMs ? { timeoutMs: lwaTimeoutWithin(remainingTimeMs) } : undefined;
}

export async function startDeviceAuthorization(
  deps: DeviceApiDeps,
  input: { region: Region; scope: string },
  remainingTimeMs?: RemainingTime,
): Promise<StartedDeviceAuthorization> {
  const credentials = await deps.appCredentials.get();
  const codePair = await requestCodePair(
    deps.lwa,
    deps.lwaEndpoints[input.region],
    { clientId: credentials.clientId, scope: input.scope },
    lwaRequestWithin(remainingTimeMs),
  );
  const pending = await deps.pending.create({ ...input, codePair });
  return {
    id: pending.id,
    user_code: codePair.userCode,
    verification_uri: codePair.verificationUri,
    expires_in: codePair.expiresIn,
    interval: codePair.interval,
  };
}

export type DevicePollOutcome =
  | { readonly kind: 'status'; readonly status: DeviceAuthorizationStatus; readonly interval?: number }
  | { readonly kind: 'too-early'; readonly retryAfterSeconds: number }
  | { readonly kind: 'not-found' };

/**
 * `GET /device/authorizations/{id}`: polls LWA on the caller's behalf at most once per interval.
 * On approval the tokens are stored as a device account (id = the authorization id) and only
 * the status is returned.
 */
export async function pollDeviceAuthorization(
  deps: DeviceApiDeps,
  id: string,
  remainingTimeMs?: RemainingTime,
): Promise<DevicePollOutcome> {
  const pending = await deps.pending.get(id);
  const now = toEpochSeconds(deps.clock());
  if (!pending) return { kind: 'not-found' };
  if (pending.status !== 'pending') return { kind: 'status', status: pending.status };
  if (now >= pending.expiresAt) {
    await deps.pending.recordEnded(id, 'expired');
    return { kind: 'status', status: 'expired' };
  }
  if (!(await deps.pending.claimPoll(id, pending.interval)) || !pending.deviceCode) {
    const latest = await deps.pending.get(id);
    if (latest && latest.status !== 'pending') return { kind: 'status', status: latest.status };
    const retryAfter = Math.max(
      1,
      (latest?.lastPolledAt ?? now) + (latest?.interval ?? pending.interval) - now,
    );
    return { kind: 'too-early', retryAfterSeconds: retryAfter };
  }

  const credentials = await deps.appCredentials.get();
  const issuedAtMs = deps.clock();
  const result = await pollOnce(
    deps.lwa,
    deps.lwaEndpoints[pending.region],
    {
      clientId: credentials.clientId,
      deviceCode: pending.deviceCode,
      userCode: pending.userCode,
      interval: pending.interval,
    },
    lwaRequestWithin(remainingTimeMs),
  );
  if (result.status === 'pending') {
    if (result.interval !== pending.interval) await deps.pending.recordPending(id, result.interval);
    return { kind: 'status', status: 'pending', interval: result.interval };
  }
  if (result.status === 'authorized') {
    await storeDeviceAccount(deps, {
      accountId: id,
      region: pending.region,
      scope: pending.scope,
      tokens: result.tokens,
      issuedAtMs,
    });
  }
  await deps.pending.recordEnded(id, result.status);
  return { kind: 'status', status: result.status };
}
